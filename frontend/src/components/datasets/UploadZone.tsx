// Drop (or choose) an archive, name it, and upload it with a progress bar; the server's answer
// (the new version, or a 4xx naming the bad entry) comes back as it is.
import { useEffect, useRef, useState } from "react";
import type { DatasetUpload } from "../../api/client";
import { ARCHIVE_TYPES, formatBytes, isArchive, nameFromFile, uploadDataset, type Upload, type UploadProgress } from "../../api/datasets";
import { useI18n } from "../../i18n";
import { ProgressBar } from "../common";

export function UploadZone({ onUploaded }: { onUploaded: (upload: DatasetUpload) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [named, setNamed] = useState(false); // the user typed a name: a new file keeps it
  const [description, setDescription] = useState("");
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const upload = useRef<Upload | null>(null);
  useEffect(() => () => upload.current?.abort(), []);

  const choose = (chosen: File | undefined) => {
    if (!chosen) return;
    if (!isArchive(chosen.name)) {
      setError(t("ds.notArchive", { file: chosen.name }));
      return;
    }
    setError(null);
    setFile(chosen);
    if (!named) setName(nameFromFile(chosen.name));
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file || !name.trim() || upload.current) return;
    setError(null);
    setProgress({ sent: 0, total: file.size });
    upload.current = uploadDataset({ file, name: name.trim(), description: description.trim() }, setProgress);
    try {
      const done = await upload.current.done;
      setFile(null);
      onUploaded(done);
    } catch (e) {
      setError(t("ds.failed", { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      upload.current = null;
      setProgress(null);
    }
  };

  const busy = progress !== null;
  const sentAll = progress !== null && progress.sent >= progress.total;
  return (
    <form className="upload card" onSubmit={(e) => void submit(e)}>
      <h2>{t("ds.upload")}</h2>
      <label
        className={`dropzone big${over ? " over" : ""}${busy ? " disabled" : ""}`}
        data-testid="dataset-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (!busy) choose(e.dataTransfer.files[0]);
        }}
      >
        <strong>{file ? `${file.name} (${formatBytes(file.size)})` : t("ds.drop")}</strong>
        <small className="hint">{t("ds.dropHint")}</small>
        {/* The browser's own file button speaks the browser's language: ours speaks the UI's. */}
        <span className="choose">{t("ds.choose")}</span>
        <input
          type="file"
          className="visually-hidden"
          accept={ARCHIVE_TYPES}
          disabled={busy}
          aria-label={t("ds.archive")}
          onChange={(e) => {
            choose(e.target.files?.[0]);
            e.target.value = ""; // the same file chosen again is a change too
          }}
        />
      </label>
      <div className="controls">
        <label>
          {t("ds.name")}
          <input
            value={name}
            aria-describedby="dataset-name-hint"
            placeholder="digits"
            disabled={busy}
            onChange={(e) => {
              setName(e.target.value);
              setNamed(e.target.value !== "");
            }}
          />
        </label>
        <label className="grow">
          {t("ds.description")}
          <input value={description} disabled={busy} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={!file || !name.trim() || busy}>
          {t("ds.submit")}
        </button>
        {busy && (
          <button type="button" onClick={() => upload.current?.abort()}>
            {t("ds.cancel")}
          </button>
        )}
      </div>
      <small className="hint" id="dataset-name-hint">
        {t("ds.nameHint")}
      </small>
      {progress && (
        <div className="upload-progress">
          <ProgressBar value={progress.total ? progress.sent / progress.total : 0} label={t("ds.progress")} />
          <span>
            {sentAll
              ? t("ds.checking")
              : t("ds.uploading", { file: file?.name ?? "", sent: formatBytes(progress.sent), total: formatBytes(progress.total) })}
          </span>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
