namespace Transport.Reliable.Congestion;

/// <summary>Factories for the built-in congestion controllers, for connection options that pick one by name.</summary>
public static class CongestionControllerFactory
{
    private static readonly ICongestionControllerFactory NewRenoFactory = new Factory(static mds => new NewReno(mds));
    private static readonly ICongestionControllerFactory CubicFactory = new Factory(static mds => new Cubic(mds));
    // Each BBR instance gets its own probe-wait seed so flows sharing a bottleneck do not probe in lockstep; a counter
    // (not a clock or Random.Shared) keeps runs reproducible for a given order of connection creation.
    private static long _bbrInstances;
    private static readonly ICongestionControllerFactory BbrFactory =
        new Factory(static mds => new Bbr(mds, unchecked((ulong)Interlocked.Increment(ref _bbrInstances) * 0x9E3779B97F4A7C15UL)));

    /// <summary>The factory of a built-in algorithm.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined algorithm.</exception>
    public static ICongestionControllerFactory For(CongestionControlAlgorithm algorithm) => algorithm switch
    {
        CongestionControlAlgorithm.NewReno => NewRenoFactory,
        CongestionControlAlgorithm.Cubic => CubicFactory,
        CongestionControlAlgorithm.Bbr => BbrFactory,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown congestion control algorithm."),
    };

    private sealed class Factory(Func<int, ICongestionController> create) : ICongestionControllerFactory
    {
        public ICongestionController Create(int maxDatagramSize) => create(maxDatagramSize);
    }
}
