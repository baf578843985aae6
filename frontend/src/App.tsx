// The shell: navigation, language switch, sign-in prompt and the routes.
import { useEffect, useState } from "react";
import { BrowserRouter, NavLink, Route, Routes } from "react-router";
import { onUnauthorized, tokenStore } from "./api/client";
import { I18nProvider, useI18n, type Language } from "./i18n";
import { ChatPage } from "./pages/ChatPage";
import { ComparePage } from "./pages/ComparePage";
import { DatasetPage } from "./pages/DatasetPage";
import { DatasetsPage } from "./pages/DatasetsPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { ModelsPage } from "./pages/ModelsPage";
import { NewJobPage } from "./pages/NewJobPage";
import { PlaygroundPage } from "./pages/PlaygroundPage";
import { QueuePage } from "./pages/QueuePage";
import { TestRunsPage } from "./pages/TestRunsPage";

function SignIn({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [token, setToken] = useState("");
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="signin-title">
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (!token.trim()) return;
          tokenStore.set(token.trim());
          onDone();
        }}
      >
        <h2 id="signin-title">{t("auth.title")}</h2>
        <p>{t("auth.prompt")}</p>
        <label>
          {t("auth.token")} <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        </label>
        <button type="submit" className="primary">
          {t("auth.submit")}
        </button>
      </form>
    </div>
  );
}

function Shell() {
  const { t, lang, setLang } = useI18n();
  const [needsToken, setNeedsToken] = useState(false);
  const [session, setSession] = useState(0);
  useEffect(
    () =>
      onUnauthorized(() => {
        tokenStore.clear();
        setNeedsToken(true);
      }),
    [],
  );
  // [path, label, whether the link is active on the pages below it too]
  const links: [string, Parameters<typeof t>[0], boolean?][] = [
    ["/jobs", "nav.jobs"],
    ["/jobs/new", "nav.new"],
    ["/queue", "nav.queue"],
    ["/models", "nav.models", true],
    ["/datasets", "nav.datasets", true],
    ["/chat", "nav.chat"],
    ["/playground", "nav.playground"],
    ["/tests", "nav.tests"],
  ];
  return (
    <>
      <nav className="topbar">
        <strong className="brand">Vision Platform</strong>
        <div className="links">
          {links.map(([to, key, below]) => (
            <NavLink key={to} to={to} end={!below}>
              {t(key)}
            </NavLink>
          ))}
        </div>
        <select className="lang" value={lang} onChange={(e) => setLang(e.target.value as Language)} aria-label={t("common.language")}>
          <option value="en">English</option>
          <option value="ko">한국어</option>
        </select>
      </nav>
      {/* A new session remounts the pages so that they load again with the token. */}
      <main key={session}>
        <Routes>
          <Route path="/" element={<JobsPage />} />
          <Route path="/jobs" element={<JobsPage />} />
          <Route path="/jobs/new" element={<NewJobPage />} />
          <Route path="/jobs/:jobId" element={<JobPage />} />
          <Route path="/queue" element={<QueuePage />} />
          <Route path="/compare" element={<ComparePage />} />
          <Route path="/models" element={<ModelsPage />} />
          <Route path="/models/:name" element={<ModelsPage />} />
          <Route path="/datasets" element={<DatasetsPage />} />
          <Route path="/datasets/:name" element={<DatasetPage />} />
          <Route path="/chat" element={<ChatPage />} />
          <Route path="/playground" element={<PlaygroundPage />} />
          <Route path="/tests" element={<TestRunsPage />} />
          <Route path="*" element={<JobsPage />} />
        </Routes>
      </main>
      {needsToken && (
        <SignIn
          onDone={() => {
            setNeedsToken(false);
            setSession((n) => n + 1);
          }}
        />
      )}
    </>
  );
}

export function App() {
  return (
    <I18nProvider>
      <BrowserRouter>
        <Shell />
      </BrowserRouter>
    </I18nProvider>
  );
}
