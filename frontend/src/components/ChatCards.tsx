// The typed cards of a chat answer (ChatResponse.cards): a job's status with a progress bar and a
// mini chart, a confirmation with yes/no, a comparison table, a model version, a prediction
// (top-5 bars or boxes over the attached image) and the stored data sets.
import { Link } from "react-router";
import type { ChatResponse } from "../api/client";
import { formatDuration, formatMetric } from "../format";
import { useI18n } from "../i18n";
import { DetectionView } from "./DetectionView";
import { Top5Bars } from "./Top5Bars";

export type ChatCard = NonNullable<ChatResponse["cards"]>[number];
type Card<T extends ChatCard["type"]> = Extract<ChatCard, { type: T }>;

/** A small SVG line of the best metric per epoch (null epochs are skipped). */
export function Sparkline({ values, width = 160, height = 36 }: { values: (number | null)[]; width?: number; height?: number }) {
  const points = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  if (points.length < 2) return null;
  const ys = points.map(([, y]) => y);
  const [low, high] = [Math.min(...ys), Math.max(...ys)];
  const last = values.length - 1 || 1;
  const path = points
    .map(([x, y]) => {
      const top = high === low ? height / 2 : height - 2 - ((y - low) / (high - low)) * (height - 4);
      return `${((x / last) * (width - 4) + 2).toFixed(1)},${top.toFixed(1)}`;
    })
    .join(" ");
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="curve" data-testid="sparkline">
      <polyline points={path} fill="none" stroke="var(--accent)" strokeWidth={2} />
    </svg>
  );
}

function StatusView({ card }: { card: Card<"status"> }) {
  const { t } = useI18n();
  return (
    <div className="card chat-card" data-testid="status-card">
      <div className="chat-card-head">
        <Link to={`/jobs/${card.job_id}`}>{t("card.status", { id: card.job_id })}</Link>
        <span className={`badge badge-${card.status}`}>{t(`status.${card.status}` as never)}</span>
        <span className="muted">{card.model_name}</span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={card.num_epochs} aria-valuenow={card.epoch}>
        <div className="progress-fill" style={{ width: `${card.progress * 100}%` }} />
      </div>
      <p className="chat-card-line">
        <span>{t("card.epoch", { epoch: card.epoch, total: card.num_epochs })}</span>
        <span>
          {t("card.best", { name: card.best_metric_name })}: {formatMetric(card.best_metric)}
        </span>
        {card.eta_seconds !== null && <span>{t("card.eta", { eta: formatDuration(card.eta_seconds) })}</span>}
        {card.requested_action && <span className="muted">{t("card.requested", { action: card.requested_action })}</span>}
      </p>
      {card.curve.length > 1 && (
        <p className="chat-card-line muted">
          <Sparkline values={card.curve} /> {card.best_metric_name}
        </p>
      )}
    </div>
  );
}

function ConfirmView({ card, active, onAnswer }: { card: Card<"confirm">; active: boolean; onAnswer: (yes: boolean) => void }) {
  const { t } = useI18n();
  return (
    <div className="card chat-card confirm-card" data-testid="confirm-card">
      <p>{card.question}</p>
      {active && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => onAnswer(true)}>
            {t("card.yes")}
          </button>
          <button type="button" onClick={() => onAnswer(false)}>
            {t("card.no")}
          </button>
        </div>
      )}
    </div>
  );
}

function ComparisonView({ card }: { card: Card<"comparison"> }) {
  const { t } = useI18n();
  const differences = Object.entries(card.differences);
  return (
    <div className="card chat-card" data-testid="comparison-card">
      <h3>{t("card.comparison")}</h3>
      <table>
        <thead>
          <tr>
            <th>{t("card.job")}</th>
            <th>{t("card.model")}</th>
            <th>{t("card.epochs")}</th>
            <th>{card.best_metric_name ?? "—"}</th>
            <th>{t("card.bestEpoch")}</th>
          </tr>
        </thead>
        <tbody>
          {card.rows.map((row) => (
            <tr key={row.job_id} className={row.job_id === card.best_job_id ? "best-row" : undefined}>
              <td>
                <Link to={`/jobs/${row.job_id}`}>#{row.job_id}</Link> {row.job_id === card.best_job_id && <span className="badge">{t("card.bestJob")}</span>}
              </td>
              <td>{row.model_name}</td>
              <td>{row.epochs}</td>
              <td>{formatMetric(row.best_metric)}</td>
              <td>{row.best_epoch ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {differences.length > 0 && (
        <details>
          <summary>{t("card.differs")}</summary>
          <ul>
            {differences.map(([key, values]) => (
              <li key={key}>
                <code>{key}</code>: {values.map((v) => String(v ?? "—")).join(" / ")}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function PredictionView({ card, image }: { card: Card<"prediction">; image?: string }) {
  const { t } = useI18n();
  const result = card.result;
  return (
    <div className="card chat-card" data-testid="prediction-card">
      <h3>{t("card.prediction", { source: card.source })}</h3>
      {result.detections ? (
        <>
          <p>{t("card.objects", { count: result.detections.length })}</p>
          {image && <DetectionView src={image} detections={result.detections} />}
        </>
      ) : (
        <div className="prediction-row">
          {image && <img className="chat-thumb" src={image} alt="" />}
          <Top5Bars scores={result.top5_predictions ?? []} />
        </div>
      )}
    </div>
  );
}

function DatasetsView({ card }: { card: Card<"datasets"> }) {
  const { t } = useI18n();
  if (!card.items.length) return null; // the reply says there is none
  return (
    <div className="card chat-card" data-testid="datasets-card">
      <h3>{t("card.datasets")}</h3>
      <table>
        <tbody>
          {card.items.map((d) => (
            <tr key={d.name}>
              <td>
                <Link to={`/datasets/${d.name}`}>{d.name}</Link>
              </td>
              <td>{d.task_type}</td>
              <td>
                {t("card.images")}: {d.num_images}
              </td>
              <td>
                {t("card.numClasses")}: {d.num_classes}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One card; `active`: a confirmation that still waits for its answer; `image`: the attachment. */
export function ChatCardView({ card, active = false, image, onAnswer }: { card: ChatCard; active?: boolean; image?: string; onAnswer: (yes: boolean) => void }) {
  const { t } = useI18n();
  switch (card.type) {
    case "status":
      return <StatusView card={card} />;
    case "confirm":
      return <ConfirmView card={card} active={active} onAnswer={onAnswer} />;
    case "comparison":
      return <ComparisonView card={card} />;
    case "prediction":
      return <PredictionView card={card} image={image} />;
    case "datasets":
      return <DatasetsView card={card} />;
    case "model":
      return (
        <div className="card chat-card" data-testid="model-card">
          <Link to={`/models/${card.name}`}>{t("card.version", { name: card.name, version: card.version })}</Link>{" "}
          <span className="muted">
            {card.best_metric_name} {formatMetric(card.best_metric)} · {t("card.aliases", { aliases: card.aliases.join(", ") || "—" })}
          </span>
        </div>
      );
  }
}
