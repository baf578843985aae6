// uPlot needs a real canvas (jsdom has none): tests swap in this stand-in that records what a
// chart hands it.  vi.mock("uplot", () => import("../test/fakeUplot"));
export const plots: { opts: any; data: number[][] }[] = [];

export default class FakeUplot {
  static pxRatio = 1;
  constructor(opts: any, data: number[][]) {
    plots.push({ opts, data });
  }
  setData() {}
  setSize() {}
  destroy() {}
}
