using System.Globalization;
using System.Text;

namespace Transport.Bench.Tour;

/// <summary>
/// Renders a <see cref="TourTable"/> as Markdown: one row per contender, each cell "value (×ratio)" where the ratio is
/// the value divided by the reference contender's; unavailable contenders and failed measurements get "—" and say why.
/// </summary>
internal static class MarkdownTableWriter
{
    public static string Render(TourTable table, string reference)
    {
        var sb = new StringBuilder();
        sb.Append("### ").Append(table.Title).Append("\n\n");
        sb.Append(table.Description).Append("\n\n");
        sb.Append("| contender |");
        foreach (TourMetric metric in table.Metrics) sb.Append(' ').Append(metric.Name).Append(" (").Append(metric.Unit).Append(") |");
        sb.Append(" note |\n|---|");
        foreach (TourMetric _ in table.Metrics) sb.Append("---:|");
        sb.Append("---|\n");
        foreach (TourRow row in table.Rows)
        {
            sb.Append("| ").Append(row.Contender).Append(" |");
            foreach (TourMetric metric in table.Metrics)
            {
                sb.Append(' ');
                if (row.Values.TryGetValue(metric.Name, out double value) && double.IsFinite(value))
                {
                    sb.Append(Format(value, metric.Decimals));
                    double? ratio = table.Ratio(row, metric, reference);
                    if (ratio is double r && row.Contender != reference) sb.Append(" (×").Append(Format(r, 2)).Append(')');
                }
                else
                {
                    sb.Append('—');
                }
                sb.Append(" |");
            }
            string note = row.Unavailable is not null ? row.Unavailable
                : row.Error is not null ? "failed: " + row.Error
                : row.Note ?? "";
            sb.Append(' ').Append(note.Replace("|", "/", StringComparison.Ordinal)).Append(" |\n");
        }
        sb.Append('\n').Append("Ratios (×) are value ÷ ").Append(reference).Append("'s value in this run; ");
        var higher = new List<string>();
        var lower = new List<string>();
        foreach (TourMetric metric in table.Metrics) (metric.HigherIsBetter ? higher : lower).Add(metric.Name);
        if (higher.Count > 0) sb.Append("higher is better for ").Append(string.Join(", ", higher));
        if (higher.Count > 0 && lower.Count > 0) sb.Append("; ");
        if (lower.Count > 0) sb.Append("lower is better for ").Append(string.Join(", ", lower));
        sb.Append(".\n");
        return sb.ToString();
    }

    internal static string Format(double value, int decimals) =>
        value.ToString(decimals == 0 ? "#,0" : "#,0." + new string('0', decimals), CultureInfo.InvariantCulture);
}
