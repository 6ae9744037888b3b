namespace Transport.Reliable.Recovery;

/// <summary>
/// RTT estimation (RFC 9002 §5): the latest, minimum and smoothed RTT and the RTT variation, and the probe timeout
/// computed from them (§6.2.1). Pure: it is fed samples, it never reads a clock.
/// </summary>
public sealed class RttEstimator
{
    /// <summary>Creates an estimator that assumes <paramref name="initialRtt"/> (default 333 ms) until the first sample.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The initial RTT is not positive.</exception>
    public RttEstimator(TimeSpan? initialRtt = null)
    {
        var initial = initialRtt ?? RecoveryConstants.InitialRtt;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero, nameof(initialRtt));
        InitialRtt = initial;
        Reset();
    }

    /// <summary>The RTT assumed before the first sample.</summary>
    public TimeSpan InitialRtt { get; }

    /// <summary>True once a sample has been taken.</summary>
    public bool HasSample { get; private set; }

    /// <summary>latest_rtt: the most recent sample, without ack-delay adjustment (RFC 9002 §5.1); zero before any.</summary>
    public TimeSpan LatestRtt { get; private set; }

    /// <summary>min_rtt: the smallest sample seen (RFC 9002 §5.2); zero before any.</summary>
    public TimeSpan MinRtt { get; private set; }

    /// <summary>smoothed_rtt (RFC 9002 §5.3); the initial RTT before any sample.</summary>
    public TimeSpan SmoothedRtt { get; private set; }

    /// <summary>rttvar (RFC 9002 §5.3); half the initial RTT before any sample.</summary>
    public TimeSpan RttVariance { get; private set; }

    /// <summary>Forgets every sample (RFC 9002 §5.3 allows it on a path change, RFC 9000 §9.4).</summary>
    public void Reset()
    {
        HasSample = false;
        LatestRtt = TimeSpan.Zero;
        MinRtt = TimeSpan.Zero;
        // RFC 9002 §5.3: smoothed_rtt = kInitialRtt, rttvar = kInitialRtt / 2.
        SmoothedRtt = InitialRtt;
        RttVariance = InitialRtt / 2;
    }

    /// <summary>Takes an RTT sample (RFC 9002 §5.3).</summary>
    /// <param name="latestRtt">now minus the send time of the newly acknowledged largest packet.</param>
    /// <param name="ackDelay">The peer's reported ACK delay (already decoded with its ack_delay_exponent).</param>
    /// <param name="handshakeConfirmed">Once true, the ACK delay is capped by <paramref name="maxAckDelay"/>.</param>
    /// <param name="maxAckDelay">The peer's max_ack_delay.</param>
    /// <exception cref="ArgumentOutOfRangeException">A duration is negative.</exception>
    public void Update(TimeSpan latestRtt, TimeSpan ackDelay, bool handshakeConfirmed, TimeSpan maxAckDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latestRtt, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ackDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAckDelay, TimeSpan.Zero);
        LatestRtt = latestRtt;
        if (!HasSample)
        {
            // RFC 9002 §5.3: the first sample initialises the estimator.
            HasSample = true;
            MinRtt = latestRtt;
            SmoothedRtt = latestRtt;
            RttVariance = latestRtt / 2;
            return;
        }

        // RFC 9002 §5.2: min_rtt ignores ack delay.
        if (latestRtt < MinRtt) MinRtt = latestRtt;

        // RFC 9002 §5.3: after handshake confirmation, use the lesser of the reported ack delay and max_ack_delay.
        if (handshakeConfirmed && ackDelay > maxAckDelay) ackDelay = maxAckDelay;

        // RFC 9002 §5.3: subtract the ack delay only if the result is not below min_rtt.
        var adjustedRtt = latestRtt;
        if (latestRtt - MinRtt >= ackDelay) adjustedRtt = latestRtt - ackDelay; // written so a huge peer ack delay cannot overflow

        var diff = SmoothedRtt - adjustedRtt;
        if (diff < TimeSpan.Zero) diff = -diff;
        // rttvar = 3/4 * rttvar + 1/4 * |smoothed_rtt - adjusted_rtt|; smoothed_rtt = 7/8 * smoothed_rtt + 1/8 * adjusted_rtt
        RttVariance = TimeSpan.FromTicks(WeightedAverage(RttVariance.Ticks, 3, diff.Ticks, 4));
        SmoothedRtt = TimeSpan.FromTicks(WeightedAverage(SmoothedRtt.Ticks, 7, adjustedRtt.Ticks, 8));
    }

    /// <summary>
    /// The probe timeout period before backoff (RFC 9002 §6.2.1):
    /// <c>smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay</c>, where max_ack_delay is counted only when
    /// <paramref name="includeMaxAckDelay"/> (the application data space).
    /// </summary>
    public TimeSpan GetProbeTimeout(TimeSpan maxAckDelay, bool includeMaxAckDelay)
    {
        var pto = AddSaturating(SmoothedRtt, Max(MultiplySaturating(RttVariance, 4), RecoveryConstants.Granularity));
        return includeMaxAckDelay ? AddSaturating(pto, maxAckDelay) : pto;
    }

    /// <summary>
    /// The probe timeout after <paramref name="ptoCount"/> consecutive expirations: the period doubles with each
    /// (RFC 9002 §6.2.1). Saturates instead of overflowing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ptoCount"/> is negative.</exception>
    public TimeSpan GetProbeTimeout(TimeSpan maxAckDelay, bool includeMaxAckDelay, int ptoCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ptoCount);
        return Backoff(GetProbeTimeout(maxAckDelay, includeMaxAckDelay), ptoCount);
    }

    /// <summary>
    /// The persistent congestion duration (RFC 9002 §7.6.1):
    /// <c>(smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay) * kPersistentCongestionThreshold</c>.
    /// </summary>
    public TimeSpan GetPersistentCongestionDuration(TimeSpan maxAckDelay) =>
        MultiplySaturating(GetProbeTimeout(maxAckDelay, includeMaxAckDelay: true), RecoveryConstants.PersistentCongestionThreshold);

    /// <summary>
    /// The time-threshold loss delay (RFC 9002 §6.1.2): <c>max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity)</c>.
    /// </summary>
    public TimeSpan GetLossDelay()
    {
        var rtt = Max(SmoothedRtt, LatestRtt);
        var delay = rtt.Ticks > long.MaxValue / RecoveryConstants.TimeThresholdNumerator
            ? TimeSpan.MaxValue // an RTT of thousands of years: saturate
            : TimeSpan.FromTicks(rtt.Ticks * RecoveryConstants.TimeThresholdNumerator / RecoveryConstants.TimeThresholdDenominator);
        return Max(delay, RecoveryConstants.Granularity);
    }

    internal static TimeSpan Backoff(TimeSpan period, int count)
    {
        long ticks = period.Ticks;
        if (count >= 62 || (ticks > 0 && ticks > (long.MaxValue >> count))) return TimeSpan.MaxValue;
        return TimeSpan.FromTicks(ticks << count);
    }

    internal static TimeSpan MultiplySaturating(TimeSpan a, int factor) =>
        a.Ticks > long.MaxValue / factor ? TimeSpan.MaxValue : TimeSpan.FromTicks(a.Ticks * factor);

    /// <summary>(weight · old + sample) / divisor, exact, without overflow.</summary>
    private static long WeightedAverage(long old, int weight, long sample, int divisor)
    {
        const long Safe = long.MaxValue / 16;
        if (old <= Safe && sample <= Safe) return (weight * old + sample) / divisor;
        return (long)((weight * (Int128)old + sample) / divisor);
    }

    internal static TimeSpan AddSaturating(TimeSpan a, TimeSpan b)
    {
        long sum = a.Ticks + b.Ticks;
        if (a.Ticks > 0 && b.Ticks > 0 && sum < 0) return TimeSpan.MaxValue;
        return TimeSpan.FromTicks(sum);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a >= b ? a : b;
}
