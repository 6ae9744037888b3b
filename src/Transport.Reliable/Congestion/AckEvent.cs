using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>A packet acknowledged for the first time, as a congestion controller sees it.</summary>
/// <param name="PacketNumber">Its packet number.</param>
/// <param name="TimeSent">When it was sent.</param>
/// <param name="Bytes">Its size in bytes (counted in bytes in flight).</param>
public readonly record struct AckedPacket(long PacketNumber, Instant TimeSent, int Bytes);

/// <summary>Everything one ACK frame told the sender, handed to <see cref="ICongestionController.OnAck"/>. Allocates nothing.</summary>
public readonly ref struct AckEvent
{
    /// <summary>The in-flight packets this ACK acknowledged for the first time, in ascending packet number order.</summary>
    public ReadOnlySpan<AckedPacket> Packets { get; init; }

    /// <summary>Sum of <see cref="AckedPacket.Bytes"/> over <see cref="Packets"/>.</summary>
    public long BytesAcked { get; init; }

    /// <summary>Bytes in flight before this ACK was processed.</summary>
    public long PriorBytesInFlight { get; init; }

    /// <summary>Bytes in flight after the acknowledged (and any newly lost) packets were removed.</summary>
    public long BytesInFlight { get; init; }

    /// <summary>The latest RTT sample (RFC 9002 §5.1); zero when this ACK produced no sample.</summary>
    public TimeSpan LatestRtt { get; init; }

    /// <summary>The smoothed RTT after this ACK (RFC 9002 §5.3).</summary>
    public TimeSpan SmoothedRtt { get; init; }

    /// <summary>The minimum RTT observed (RFC 9002 §5.2).</summary>
    public TimeSpan MinRtt { get; init; }

    /// <summary>
    /// True when the sender is application-limited: it had less data to send than the window allowed, so the window was
    /// not the limit and must not grow on this ACK (RFC 9002 §7.8).
    /// </summary>
    public bool IsApplicationLimited { get; init; }

    /// <summary>
    /// True when the congestion window was not the limit at any time during the last round trip (RFC 9002 §7.8: the
    /// window is underutilized): the window-based controllers (NewReno, CUBIC) do not grow it on this ACK. Unlike
    /// <see cref="IsApplicationLimited"/>, which is the sender's state when the ACK arrived, this looks back one round
    /// trip, so request/response traffic that fills the window in bursts and drains it between them still grows it
    /// (see <c>LossDetector.IsCongestionWindowLimited</c>). False when unknown.
    /// </summary>
    public bool IsWindowUnderutilized { get; init; }

    /// <summary>The delivery-rate sample this ACK produced (what BBR runs on).</summary>
    public RateSample RateSample { get; init; }
}

/// <summary>
/// A congestion signal: packets declared lost (RFC 9002 §6.1), an increase of the ECN-CE count (§7.1, §13.4), or
/// persistent congestion (§7.6).
/// </summary>
public readonly record struct CongestionEvent
{
    /// <summary>When the newest packet behind this signal was sent; a controller compares it with its recovery start.</summary>
    public Instant LargestSentTime { get; init; }

    /// <summary>Bytes newly declared lost (zero for an ECN-only signal).</summary>
    public long LostBytes { get; init; }

    /// <summary>Bytes in flight after the lost packets were removed.</summary>
    public long BytesInFlight { get; init; }

    /// <summary>Bytes in flight before the lost packets were removed (BBR's inflight at the loss).</summary>
    public long PriorBytesInFlight { get; init; }

    /// <summary>True when the signal is an ECN-CE count increase rather than loss.</summary>
    public bool IsEcn { get; init; }

    /// <summary>True when the lost packets establish persistent congestion (RFC 9002 §7.6): collapse to the minimum window.</summary>
    public bool IsPersistentCongestion { get; init; }
}

/// <summary>
/// A delivery-rate sample (draft-ietf-ccwg-bbr, "Delivery Rate Samples"): how much data the path delivered over an
/// interval, and whether the sender was application-limited at the time.
/// </summary>
public readonly record struct RateSample
{
    /// <summary>Bytes delivered over <see cref="Interval"/>; 0 when there is no valid sample.</summary>
    public long Delivered { get; init; }

    /// <summary>The interval over which <see cref="Delivered"/> was measured (max of send and ack elapsed).</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>The connection's total delivered bytes when the acked packet was sent (C.delivered at send).</summary>
    public long PriorDelivered { get; init; }

    /// <summary>The connection's total delivered bytes after this ACK.</summary>
    public long TotalDelivered { get; init; }

    /// <summary>Bytes in flight when the newest acked packet was sent (BBR's tx_in_flight).</summary>
    public long TxInFlight { get; init; }

    /// <summary>Bytes newly lost since the newest acked packet was sent (BBR's rs.lost).</summary>
    public long Lost { get; init; }

    /// <summary>True when the newest acked packet was sent while the sender was application-limited.</summary>
    public bool IsApplicationLimited { get; init; }

    /// <summary>The RTT of the newest acked packet.</summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>The delivery rate in bytes per second, or 0 when the sample is invalid.</summary>
    public double DeliveryRate => Interval > TimeSpan.Zero && Delivered > 0 ? Delivered / Interval.TotalSeconds : 0;

    /// <summary>True when the sample can be used (it covers a positive interval).</summary>
    public bool IsValid => Interval > TimeSpan.Zero && Delivered > 0;
}
