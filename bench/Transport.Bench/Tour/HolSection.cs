namespace Transport.Bench.Tour;

internal static class HolSection
{
    public const string Name = "hol";

    public static Task<List<TourTable>> RunAsync(TourContext context) => Task.FromResult(new List<TourTable>());
}
