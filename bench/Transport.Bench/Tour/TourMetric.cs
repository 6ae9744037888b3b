namespace Transport.Bench.Tour;

/// <summary>One column of a tour table: a named figure with its unit.</summary>
/// <param name="Name">What is measured, for example "throughput".</param>
/// <param name="Unit">Its unit, for example "Gbit/s".</param>
/// <param name="HigherIsBetter">Whether a larger value is the better one (for the ratio footnote and charts).</param>
/// <param name="Decimals">Decimals printed in the table.</param>
internal sealed record TourMetric(string Name, string Unit, bool HigherIsBetter, int Decimals);
