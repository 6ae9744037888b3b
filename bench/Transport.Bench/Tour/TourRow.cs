namespace Transport.Bench.Tour;

/// <summary>One contender's row of a tour table: its figures, or why it has none.</summary>
internal sealed class TourRow(string contender)
{
    /// <summary>The contender's name.</summary>
    public string Contender { get; } = contender;

    /// <summary>Figures by metric name.</summary>
    public Dictionary<string, double> Values { get; } = [];

    /// <summary>Why the contender did not run (unavailable), or null.</summary>
    public string? Unavailable { get; set; }

    /// <summary>The error that ended its measurement, or null.</summary>
    public string? Error { get; set; }

    /// <summary>A remark printed in the note column (for example a sample count).</summary>
    public string? Note { get; set; }
}
