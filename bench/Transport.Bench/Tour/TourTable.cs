namespace Transport.Bench.Tour;

/// <summary>One comparison: the same measurement over every contender, as a table, a chart and results.json entries.</summary>
internal sealed class TourTable(string section, string id, string title, string description, IReadOnlyList<TourMetric> metrics)
{
    public string Section { get; } = section;

    /// <summary>File-name-safe identifier (chart file name, results.json key).</summary>
    public string Id { get; } = id;

    public string Title { get; } = title;

    /// <summary>What exactly was measured, printed under the title.</summary>
    public string Description { get; } = description;

    public IReadOnlyList<TourMetric> Metrics { get; } = metrics;

    public List<TourRow> Rows { get; } = [];

    /// <summary>More charts written beside the bar chart (file name, SVG text), for example time series.</summary>
    public List<(string FileName, string Svg)> ExtraCharts { get; } = [];

    /// <summary>The row of <paramref name="contender"/>, created on first use.</summary>
    public TourRow Row(string contender)
    {
        foreach (TourRow row in Rows)
        {
            if (row.Contender == contender) return row;
        }
        var created = new TourRow(contender);
        Rows.Add(created);
        return created;
    }

    /// <summary>value ÷ the reference's value for <paramref name="metric"/>, or null when either is missing.</summary>
    public double? Ratio(TourRow row, TourMetric metric, string reference)
    {
        TourRow? referenceRow = Rows.Find(r => r.Contender == reference);
        if (referenceRow is null || !referenceRow.Values.TryGetValue(metric.Name, out double baseline) || baseline <= 0) return null;
        return row.Values.TryGetValue(metric.Name, out double value) ? value / baseline : null;
    }
}
