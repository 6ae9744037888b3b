namespace Transport.Bench.Tour;

internal static class ScaleSection
{
    public const string Name = "scale";

    public static Task<List<TourTable>> RunAsync(TourContext context) => Task.FromResult(new List<TourTable>());
}
