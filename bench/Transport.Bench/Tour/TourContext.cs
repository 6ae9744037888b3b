namespace Transport.Bench.Tour;

/// <summary>What a section needs: options, contenders (available or not), the progress line.</summary>
internal sealed class TourContext(TourOptions options, IReadOnlyList<ITransportContender> contenders, ProgressLine progress)
{
    public TourOptions Options { get; } = options;
    public IReadOnlyList<ITransportContender> Contenders { get; } = contenders;
    public ProgressLine Progress { get; } = progress;

    /// <summary>The longest any one measurement may take before it is abandoned as hung.</summary>
    public TimeSpan MeasurementLimit => Options.WarmupTime + Options.MeasureTime + TimeSpan.FromSeconds(30);
}
