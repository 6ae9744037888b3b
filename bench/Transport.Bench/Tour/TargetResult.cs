namespace Transport.Bench.Tour;

/// <summary>One line of the tour's target summary (see <see cref="TourTargets"/>).</summary>
/// <param name="Target">What is wanted, in words.</param>
/// <param name="Measured">The figure judged, or null when there is none.</param>
/// <param name="MeasuredText">The figure with its unit and where it comes from.</param>
/// <param name="Reference">The figure or threshold it is compared with, or null.</param>
/// <param name="ReferenceText">The reference with its unit and source.</param>
/// <param name="Ratio">Measured ÷ reference, or null.</param>
/// <param name="Status">Met, missed, not measurable, not measured.</param>
/// <param name="Verdict">The verdict in words: "met", "missed by …", "not measurable: …", "not measured in this run …".</param>
internal sealed record TargetResult(string Target, double? Measured, string MeasuredText, double? Reference, string ReferenceText, double? Ratio,
    TargetStatus Status, string Verdict);
