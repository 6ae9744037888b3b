using System.Globalization;
using System.Security;
using System.Text;

namespace Transport.Bench.Tour;

/// <summary>
/// A plain SVG chart of a <see cref="TourTable"/>: one panel per metric, one horizontal bar per contender, each panel
/// scaled to its own largest value; unavailable or failed contenders show "n/a". Written by hand (no packages).
/// </summary>
internal static class SvgBarChart
{
    private const int Width = 760, LabelWidth = 200, ValueWidth = 150, BarHeight = 18, BarGap = 6, PanelGap = 18, TitleHeight = 30;
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f"];

    public static string Render(TourTable table, string reference)
    {
        int rows = table.Rows.Count;
        int panelHeight = 22 + rows * (BarHeight + BarGap);
        int height = TitleHeight + table.Metrics.Count * (panelHeight + PanelGap);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{Escape(table.Title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - 10}\" y=\"20\" text-anchor=\"end\" fill=\"#666\">(×) = ÷ {Escape(reference)}</text>\n");
        int y = TitleHeight;
        int barSpace = Width - LabelWidth - ValueWidth - 10;
        foreach (TourMetric metric in table.Metrics)
        {
            string hint = metric.HigherIsBetter ? "higher is better" : "lower is better";
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"{y + 14}\" font-weight=\"bold\">{Escape(metric.Name)} ({Escape(metric.Unit)}) — {hint}</text>\n");
            double max = 0;
            foreach (TourRow row in table.Rows)
            {
                if (row.Values.TryGetValue(metric.Name, out double v) && double.IsFinite(v)) max = Math.Max(max, v);
            }
            int barY = y + 22;
            for (int i = 0; i < rows; i++)
            {
                TourRow row = table.Rows[i];
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 6}\" y=\"{barY + 13}\" text-anchor=\"end\">{Escape(row.Contender)}</text>\n");
                if (row.Values.TryGetValue(metric.Name, out double value) && double.IsFinite(value) && max > 0)
                {
                    double w = Math.Max(1, value / max * barSpace);
                    sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{barY}\" width=\"{w:0.0}\" height=\"{BarHeight}\" fill=\"{Palette[i % Palette.Length]}\"/>\n");
                    sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + w + 6:0.0}\" y=\"{barY + 13}\">{Escape(Label(table, row, metric, value, reference))}</text>\n");
                }
                else
                {
                    string why = row.Unavailable is not null ? "n/a (unavailable)" : row.Error is not null ? "n/a (failed)" : "n/a";
                    sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + 4}\" y=\"{barY + 13}\" fill=\"#888\">{why}</text>\n");
                }
                barY += BarHeight + BarGap;
            }
            y += panelHeight + PanelGap;
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Label(TourTable table, TourRow row, TourMetric metric, double value, string reference)
    {
        string text = MarkdownTableWriter.Format(value, metric.Decimals);
        double? ratio = table.Ratio(row, metric, reference);
        return ratio is double r && row.Contender != reference ? $"{text} (×{MarkdownTableWriter.Format(r, 2)})" : text;
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
