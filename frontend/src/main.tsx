import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
// Hangul glyphs ship with the UI (local files, split by Unicode range so a page loads only the
// ranges it shows): Korean reads the same on a machine without a CJK font.
import "@fontsource/noto-sans-kr/korean-400.css";
import "@fontsource/noto-sans-kr/korean-600.css";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
