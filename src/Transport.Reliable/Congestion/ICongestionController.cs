using Transport.Core.Time;

namespace Transport.Reliable.Congestion;

/// <summary>
/// A congestion controller: events in, a window and a pacing rate out. The loss-recovery layer calls it; it never reads a
/// clock or touches a socket. One instance serves one path of one connection. Implement this interface (and
/// <see cref="ICongestionControllerFactory"/>) to plug in an algorithm of your own.
/// </summary>
public interface ICongestionController
{
    /// <summary>The algorithm's name, for statistics and qlog ("newreno", "cubic", "bbr").</summary>
    string Name { get; }

    /// <summary>The congestion window in bytes: how many bytes may be in flight.</summary>
    long CongestionWindow { get; }

    /// <summary>
    /// The rate in bytes per second at which the pacer should release packets. Window-based algorithms return
    /// 1.25 · cwnd / smoothed RTT (RFC 9002 §7.7) from the last RTT they saw; before any RTT sample, 0 (no pacing).
    /// </summary>
    double PacingRate { get; }

    /// <summary>The algorithm's current state, for statistics and qlog.</summary>
    CongestionState State { get; }

    /// <summary>A packet that counts toward bytes in flight was sent.</summary>
    /// <param name="now">When it was sent.</param>
    /// <param name="bytes">Its size in bytes.</param>
    /// <param name="bytesInFlight">Bytes in flight including this packet.</param>
    void OnPacketSent(Instant now, int bytes, long bytesInFlight);

    /// <summary>An ACK frame acknowledged one or more in-flight packets for the first time.</summary>
    void OnAck(Instant now, in AckEvent ack);

    /// <summary>
    /// Packets were declared lost, or an ACK reported a rise in the ECN-CE count (RFC 9002 §7.3.2). At most one reduction
    /// per recovery period: a controller ignores events whose <see cref="CongestionEvent.LargestSentTime"/> precedes the
    /// start of its current recovery period.
    /// </summary>
    void OnCongestionEvent(Instant now, in CongestionEvent congestion);

    /// <summary>
    /// Packets previously declared lost were acknowledged after all (RFC 9002 §7.8's "spurious" loss): a controller may
    /// undo the reduction that the loss caused.
    /// </summary>
    void OnSpuriousCongestionEvent(Instant now);

    /// <summary>The path's maximum datagram size changed (for example after PMTU discovery).</summary>
    void OnMaxDatagramSizeChanged(int maxDatagramSize);
}
