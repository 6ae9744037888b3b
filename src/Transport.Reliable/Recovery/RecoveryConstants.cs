namespace Transport.Reliable.Recovery;

/// <summary>The constants of RFC 9002 Appendix A.2, under the RFC's names.</summary>
public static class RecoveryConstants
{
    /// <summary>kPacketThreshold: a packet is lost when a packet this many numbers later is acknowledged (RFC 9002 §6.1.1).</summary>
    public const int PacketThreshold = 3;

    /// <summary>kTimeThreshold numerator: the loss delay is 9/8 of the larger of smoothed and latest RTT (RFC 9002 §6.1.2).</summary>
    public const int TimeThresholdNumerator = 9;

    /// <summary>kTimeThreshold denominator.</summary>
    public const int TimeThresholdDenominator = 8;

    /// <summary>kGranularity: the timer granularity, 1 ms (RFC 9002 §6.1.2).</summary>
    public static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);

    /// <summary>kInitialRtt: the RTT assumed before any sample, 333 ms (RFC 9002 §6.2.2).</summary>
    public static readonly TimeSpan InitialRtt = TimeSpan.FromMilliseconds(333);

    /// <summary>kPersistentCongestionThreshold (RFC 9002 §7.6.1).</summary>
    public const int PersistentCongestionThreshold = 3;

    /// <summary>The default max_ack_delay transport parameter, 25 ms (RFC 9000 §18.2).</summary>
    public static readonly TimeSpan DefaultMaxAckDelay = TimeSpan.FromMilliseconds(25);
}
