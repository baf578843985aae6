// A confusion matrix as a heat-map table: darker cells hold more images.
export function ConfusionMatrix({ matrix, labels }: { matrix: number[][]; labels: string[] }) {
  const max = Math.max(1, ...matrix.flat());
  return (
    <div className="table-wrap">
      <table className="confusion" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th />
            {labels.map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={labels[i] ?? i}>
              <th>{labels[i]}</th>
              {row.map((count, j) => {
                const strength = count / max;
                return (
                  <td
                    key={j}
                    className={i === j ? "diagonal" : undefined}
                    style={{ background: `rgba(${i === j ? "37,99,235" : "220,38,38"},${(0.08 + strength * 0.8).toFixed(2)})`, color: strength > 0.55 ? "white" : undefined }}
                  >
                    {count}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
