// The conversation: a request in words, the parsed settings as a card, then confirm.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap, type ChatResponse } from "../api/client";
import { SettingsCard } from "../components/SettingsCard";
import { useI18n } from "../i18n";

interface Turn {
  role: "user" | "platform";
  text: string;
}

export function ChatPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState("");
  const [last, setLast] = useState<ChatResponse | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const send = async (event: React.FormEvent) => {
    event.preventDefault();
    const message = input.trim();
    if (!message || busy) return;
    setBusy(true);
    setTurns((old) => [...old, { role: "user", text: message }]);
    setInput("");
    try {
      const answer = await unwrap(api.POST("/api/v1/chat", { body: { message, session_id: last?.session_id ?? null } }));
      setLast(answer);
      setTurns((old) => [...old, { role: "platform", text: answer.reply }]);
      if (answer.job_id) setJobId(answer.job_id);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!last) return;
    setBusy(true);
    try {
      const job = await unwrap(api.POST("/api/v1/chat/{session_id}/confirm", { params: { path: { session_id: last.session_id } } }));
      setJobId(job.id);
      setTurns((old) => [...old, { role: "platform", text: t("chat.created", { id: job.id }) }]);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="chat">
      <h1>{t("chat.title")}</h1>
      <ol className="turns" aria-live="polite">
        {turns.map((turn, i) => (
          <li key={i} className={`turn turn-${turn.role}`}>
            {turn.text}
          </li>
        ))}
      </ol>
      {last && (
        <SettingsCard
          settings={last.settings}
          missing={last.missing}
          canStart={last.needs_confirmation && jobId === null}
          busy={busy}
          onStart={() => void confirm()}
          onEdit={() => navigate("/jobs/new", { state: { intent: last.intent } })}
        />
      )}
      {jobId !== null && (
        <p>
          <Link to={`/jobs/${jobId}`}>{t("chat.open")} #{jobId}</Link>
        </p>
      )}
      {error && <p className="error">{t("common.error", { message: error })}</p>}
      <form className="chat-input" onSubmit={(e) => void send(e)}>
        <input value={input} onChange={(e) => setInput(e.target.value)} placeholder={t("chat.placeholder")} aria-label={t("chat.placeholder")} />
        <button type="submit" className="primary" disabled={busy || !input.trim()}>
          {t("chat.send")}
        </button>
      </form>
    </section>
  );
}
