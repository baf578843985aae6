// The conversation: a request in words (and an image dropped on it), the parsed settings as a
// card then confirm, or an action's cards (status, confirm, comparison, prediction, …).
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, authFetch, toApiError, unwrap, type ChatResponse } from "../api/client";
import { type ChatCard, ChatCardView } from "../components/ChatCards";
import { SettingsCard } from "../components/SettingsCard";
import { useI18n } from "../i18n";

interface Turn {
  role: "user" | "platform";
  text: string;
  cards?: ChatCard[];
  image?: string;
}

interface Attachment {
  file: File;
  url: string;
}

/** A message with an image: POST /chat/messages/image (multipart). */
async function sendWithImage(message: string, sessionId: string | null, file: File): Promise<ChatResponse> {
  const form = new FormData();
  form.append("message", message);
  if (sessionId) form.append("session_id", sessionId);
  form.append("file", file);
  const response = await authFetch("/api/v1/chat/messages/image", { method: "POST", body: form });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw toApiError(response.status, body);
  return body as ChatResponse;
}

export function ChatPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState("");
  const [last, setLast] = useState<ChatResponse | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [attachment, setAttachment] = useState<Attachment | null>(null);
  const [dragging, setDragging] = useState(false);
  const [picker, setPicker] = useState(0); // a new key empties the file input after a send
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const post = async (message: string) => {
    if (!message || busy) return;
    setBusy(true);
    const image = attachment;
    setTurns((old) => [...old, { role: "user", text: message, image: image?.url }]);
    setInput("");
    setAttachment(null);
    setPicker((n) => n + 1);
    try {
      const sessionId = last?.session_id ?? null;
      const answer = image
        ? await sendWithImage(message, sessionId, image.file)
        : await unwrap(api.POST("/api/v1/chat", { body: { message, session_id: sessionId } }));
      setLast(answer);
      setTurns((old) => [...old, { role: "platform", text: answer.reply, cards: answer.cards ?? [], image: image?.url }]);
      if (answer.job_id) setJobId(answer.job_id);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const send = (event: React.FormEvent) => {
    event.preventDefault();
    void post(input.trim() || (attachment ? t("chat.askImage") : ""));
  };

  const attach = (file: File | undefined) => {
    if (file && file.type.startsWith("image/")) setAttachment({ file, url: URL.createObjectURL(file) });
  };

  const confirm = async () => {
    if (!last) return;
    setBusy(true);
    try {
      const job = await unwrap(api.POST("/api/v1/chat/{session_id}/confirm", { params: { path: { session_id: last.session_id } } }));
      setJobId(job.id);
      setLast({ ...last, needs_confirmation: false, job_id: job.id });
      setTurns((old) => [...old, { role: "platform", text: t("chat.created", { id: job.id }) }]);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const acting = (last?.cards ?? []).length > 0 || last?.action;
  return (
    <section
      className={`chat${dragging ? " dragging" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        attach(e.dataTransfer.files[0]);
      }}
    >
      <h1>{t("chat.title")}</h1>
      <ol className="turns" aria-live="polite">
        {turns.map((turn, i) => (
          <li key={i} className={`turn turn-${turn.role}`}>
            {turn.role === "user" && turn.image && <img className="chat-thumb" src={turn.image} alt="" />}
            {/* a confirmation card holds the question itself */}
            {!(turn.cards ?? []).some((card) => card.type === "confirm") && turn.text}
            {(turn.cards ?? []).map((card, j) => (
              <ChatCardView
                key={j}
                card={card}
                image={turn.image}
                active={i === turns.length - 1 && !busy}
                onAnswer={(yes) => void post(t(yes ? "card.yesWord" : "card.noWord"))}
              />
            ))}
          </li>
        ))}
      </ol>
      {last && !acting && (
        <SettingsCard
          settings={last.settings}
          missing={last.missing}
          canStart={last.needs_confirmation}
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
      <p className="drop-hint muted">{t("chat.drop")}</p>
      {attachment && (
        <p className="attachment" data-testid="attachment">
          <img className="chat-thumb" src={attachment.url} alt="" /> {t("chat.attached", { name: attachment.file.name })}{" "}
          <button type="button" onClick={() => { setAttachment(null); setPicker((n) => n + 1); }}>
            {t("chat.detach")}
          </button>
        </p>
      )}
      <form className="chat-input" onSubmit={send}>
        <input value={input} onChange={(e) => setInput(e.target.value)} placeholder={t("chat.placeholder")} aria-label={t("chat.placeholder")} />
        <input key={picker} type="file" accept="image/*" aria-label={t("chat.drop")} onChange={(e) => attach(e.target.files?.[0])} />
        <button type="submit" className="primary" disabled={busy || (!input.trim() && !attachment)}>
          {t("chat.send")}
        </button>
      </form>
    </section>
  );
}
