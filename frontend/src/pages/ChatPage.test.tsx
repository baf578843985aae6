import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { I18nProvider } from "../i18n";
import { stubFetch } from "../test/fixtures";
import { ChatPage } from "./ChatPage";

const PREDICTION = {
  session_id: "s1", reply: "digits-cls@v1의 예측: 7 (0.90).", intent: { missing: [], notes: [] }, missing: [],
  questions: [], needs_confirmation: false, settings: null, job_id: null, action: "predict",
  cards: [{
    type: "prediction", source: "digits-cls@v1", model: "digits-cls", version: 1, job_id: 3,
    result: {
      image_path: "seven.png", task_type: "classification", predicted_label: "7", confidence: 0.9,
      top5_predictions: [{ label_id: 7, label: "7", confidence: 0.9 }], detections: null,
      inference_time_ms: 1, preprocessing_time_ms: 1, postprocessing_time_ms: 1,
    },
  }],
};

test("an image dropped on the chat goes with the message and its prediction card shows", async () => {
  URL.createObjectURL = vi.fn(() => "blob:seven");
  const calls = stubFetch({ "POST /api/v1/chat/messages/image": () => PREDICTION });
  const user = userEvent.setup();
  render(
    <MemoryRouter>
      <I18nProvider initial="ko">
        <ChatPage />
      </I18nProvider>
    </MemoryRouter>,
  );
  const file = new File(["png"], "seven.png", { type: "image/png" });
  fireEvent.drop(screen.getByRole("heading", { name: "모델 요청하기" }), { dataTransfer: { files: [file] } });
  expect(screen.getByTestId("attachment")).toHaveTextContent("첨부: seven.png");
  await user.click(screen.getByRole("button", { name: "보내기" })); // no words: "이 이미지 뭐야?"

  expect(await screen.findByTestId("prediction-card")).toHaveTextContent("digits-cls@v1의 예측");
  const form = calls.find((c) => c.key === "POST /api/v1/chat/messages/image")!.body as FormData;
  expect(form.get("message")).toBe("이 이미지 뭐야?");
  expect((form.get("file") as File).name).toBe("seven.png");
  expect(screen.getAllByTestId("top5-row")).toHaveLength(1);
  expect(screen.queryByTestId("attachment")).toBeNull();
});
