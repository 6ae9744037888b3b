using System.Globalization;
using System.Security;
using System.Text;

namespace Transport.Bench.Tour;

/// <summary>
/// A plain SVG line chart over time: panels stacked vertically, each with its own y axis (unit in the title), one
/// polyline per series, a shared legend at the top. Written by hand (no packages), like <see cref="SvgBarChart"/>.
/// </summary>
internal static class SvgLineChart
{
    private const int Width = 760, PanelHeight = 200, PanelGap = 46, Left = 70, Right = 20, Top = 56;
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f"];

    /// <summary>One line: a name for the legend and (x, y) points with x increasing.</summary>
    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

    /// <summary>One panel: a title (with the unit) and its series.</summary>
    public sealed record Panel(string Title, IReadOnlyList<Series> Series);

    public static string Render(string title, string xLabel, IReadOnlyList<Panel> panels)
    {
        int height = Top + panels.Count * (PanelHeight + PanelGap);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>\n");

        // Legend: every series name that appears, in order of first appearance, one colour each across panels.
        var names = new List<string>();
        foreach (Panel panel in panels)
        {
            foreach (Series series in panel.Series)
            {
                if (!names.Contains(series.Name)) names.Add(series.Name);
            }
        }
        double legendX = 10;
        foreach (string name in names)
        {
            string colour = Palette[names.IndexOf(name) % Palette.Length];
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX:0.#}\" y=\"30\" width=\"14\" height=\"4\" fill=\"{colour}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{legendX + 18:0.#}\" y=\"36\">{Escape(name)}</text>\n");
            legendX += 30 + name.Length * 6.5;
        }

        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity;
        foreach (Panel panel in panels)
        {
            foreach (Series series in panel.Series)
            {
                foreach ((double x, _) in series.Points)
                {
                    xMin = Math.Min(xMin, x);
                    xMax = Math.Max(xMax, x);
                }
            }
        }
        if (!double.IsFinite(xMin)) { xMin = 0; xMax = 1; }
        xMin = Math.Min(0, xMin);
        double xStep = NiceStep(xMax - xMin);
        xMax = Math.Ceiling(xMax / xStep) * xStep;
        if (xMax <= xMin) xMax = xMin + 1;
        int plotWidth = Width - Left - Right;

        int y0 = Top;
        foreach (Panel panel in panels)
        {
            double yMax = 0;
            foreach (Series series in panel.Series)
            {
                foreach ((_, double y) in series.Points)
                {
                    if (double.IsFinite(y)) yMax = Math.Max(yMax, y);
                }
            }
            double yStep = NiceStep(yMax > 0 ? yMax : 1);
            yMax = Math.Max(yStep, Math.Ceiling(yMax / yStep) * yStep);
            int plotTop = y0 + 16, plotBottom = y0 + PanelHeight;
            double Px(double x) => Left + (x - xMin) / (xMax - xMin) * plotWidth;
            double Py(double y) => plotBottom - y / yMax * (plotBottom - plotTop);

            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{y0 + 10}\" font-weight=\"bold\">{Escape(panel.Title)}</text>\n");
            for (double t = 0; t <= yMax + yStep / 2; t += yStep)
            {
                double py = Py(t);
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{py:0.#}\" x2=\"{Width - Right}\" y2=\"{py:0.#}\" stroke=\"#e4e4e4\"/>\n");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{py + 4:0.#}\" text-anchor=\"end\" fill=\"#555\">{Format(t)}</text>\n");
            }
            for (double t = xMin; t <= xMax + xStep / 2; t += xStep)
            {
                double px = Px(t);
                sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:0.#}\" y1=\"{plotTop}\" x2=\"{px:0.#}\" y2=\"{plotBottom}\" stroke=\"#f0f0f0\"/>\n");
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{px:0.#}\" y=\"{plotBottom + 14}\" text-anchor=\"middle\" fill=\"#555\">{Format(t)}</text>\n");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{plotBottom + 28}\" text-anchor=\"end\" fill=\"#555\">{Escape(xLabel)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{plotTop}\" width=\"{plotWidth}\" height=\"{plotBottom - plotTop}\" fill=\"none\" stroke=\"#999\"/>\n");
            foreach (Series series in panel.Series)
            {
                if (series.Points.Count == 0) continue;
                string colour = Palette[names.IndexOf(series.Name) % Palette.Length];
                sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.3\" points=\"");
                foreach ((double x, double y) in series.Points)
                {
                    if (!double.IsFinite(y)) continue;
                    sb.Append(CultureInfo.InvariantCulture, $"{Px(x):0.#},{Py(Math.Min(y, yMax)):0.#} ");
                }
                sb.Append("\"/>\n");
            }
            y0 += PanelHeight + PanelGap;
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>A round step (1, 2 or 5 times a power of ten) giving about five ticks over <paramref name="range"/>.</summary>
    internal static double NiceStep(double range)
    {
        if (!(range > 0)) return 1;
        double raw = range / 5, power = Math.Pow(10, Math.Floor(Math.Log10(raw))), f = raw / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }

    private static string Format(double value) =>
        value.ToString(Math.Abs(value - Math.Round(value)) < 1e-9 ? "#,0" : "#,0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
