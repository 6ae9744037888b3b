using Transport.Reliable.Congestion;

namespace Transport.Quic.Connection;

/// <summary>A snapshot of a connection's counters and estimates (<see cref="QuicConnectionCore.GetStatistics"/>).</summary>
public readonly record struct ConnectionStatistics
{
    /// <summary>The minimum RTT observed (RFC 9002 §5.2).</summary>
    public TimeSpan MinRtt { get; init; }
    /// <summary>smoothed_rtt (RFC 9002 §5.3).</summary>
    public TimeSpan SmoothedRtt { get; init; }
    /// <summary>rttvar (RFC 9002 §5.3).</summary>
    public TimeSpan RttVariance { get; init; }
    /// <summary>The latest RTT sample.</summary>
    public TimeSpan LatestRtt { get; init; }
    /// <summary>The congestion window in bytes.</summary>
    public long CongestionWindow { get; init; }
    /// <summary>Bytes in flight.</summary>
    public long BytesInFlight { get; init; }
    /// <summary>The pacing rate in bytes per second (0: not pacing).</summary>
    public double PacingRate { get; init; }
    /// <summary>The congestion controller's name ("newreno", "cubic", "bbr" or a custom one).</summary>
    public string CongestionControllerName { get; init; }
    /// <summary>The congestion controller's state.</summary>
    public CongestionState CongestionState { get; init; }
    /// <summary>Packets sent (all spaces).</summary>
    public long PacketsSent { get; init; }
    /// <summary>Packets received, decrypted and processed (the one whose frames close the connection included; not duplicates, nor packets during the closing or draining period).</summary>
    public long PacketsReceived { get; init; }
    /// <summary>Packets dropped on receipt: undecryptable, for discarded keys, duplicates, or unparseable.</summary>
    public long PacketsDropped { get; init; }
    /// <summary>Packets declared lost.</summary>
    public long PacketsLost { get; init; }
    /// <summary>Packets declared lost and later acknowledged.</summary>
    public long SpuriousLosses { get; init; }
    /// <summary>Packets whose content was re-queued for retransmission (losses and probes).</summary>
    public long PacketsRetransmitted { get; init; }
    /// <summary>UDP payload bytes sent.</summary>
    public long BytesSent { get; init; }
    /// <summary>UDP payload bytes received.</summary>
    public long BytesReceived { get; init; }
    /// <summary>Stream bytes sent for the first time.</summary>
    public long StreamBytesSent { get; init; }
    /// <summary>Stream bytes sent again after a loss or probe.</summary>
    public long StreamBytesRetransmitted { get; init; }
    /// <summary>Stream bytes delivered to the application.</summary>
    public long StreamBytesRead { get; init; }
    /// <summary>Congestion events (loss episodes that reduced or may have reduced the window), including persistent congestion.</summary>
    public long CongestionEvents { get; init; }
    /// <summary>Probe timeouts fired.</summary>
    public long ProbeTimeouts { get; init; }
    /// <summary>Streams currently open (either side not finished).</summary>
    public int StreamsOpen { get; init; }
    /// <summary>Datagrams (RFC 9221) sent.</summary>
    public long DatagramsSent { get; init; }
    /// <summary>Datagrams received.</summary>
    public long DatagramsReceived { get; init; }
    /// <summary>Datagrams dropped from the send queue because it was full (the oldest go first).</summary>
    public long DatagramsDropped { get; init; }
    /// <summary>Key updates completed (either side initiated).</summary>
    public int KeyUpdates { get; init; }
    /// <summary>Unexpected exceptions inside the connection (bugs), each closing it with INTERNAL_ERROR; 0 in a healthy run.</summary>
    public int InternalErrors { get; init; }
    /// <summary>0-RTT packets sent (client).</summary>
    public long ZeroRttPacketsSent { get; init; }
    /// <summary>0-RTT packets received and decrypted (server).</summary>
    public long ZeroRttPacketsReceived { get; init; }
    /// <summary>0-RTT packets dropped: not accepted, no keys, undecryptable (server), or arriving at a client.</summary>
    public long ZeroRttPacketsDropped { get; init; }
    /// <summary>0-RTT packets whose contents were queued again for 1-RTT because the server rejected early data (client).</summary>
    public long ZeroRttPacketsRequeued { get; init; }
    /// <summary>
    /// Where ECN validation stands (RFC 9000 §13.4.2): <see cref="EcnValidationState.Capable"/> once the peer's ACK_ECN
    /// counts matched the marked packets; <see cref="EcnValidationState.Failed"/> when the path bleached or dropped the
    /// marks, or ECN is off (<see cref="ConnectionOptions.EnableEcn"/>).
    /// </summary>
    public EcnValidationState EcnState { get; init; }
    /// <summary>Packets sent marked ECT(0) (RFC 9000 §13.4.2).</summary>
    public long EcnMarkedPacketsSent { get; init; }
    /// <summary>Packets received in datagrams whose IP header carried ECT(0), ECT(1) or CE, all spaces (what ACK_ECN echoes, RFC 9000 §13.4.1).</summary>
    public long EcnMarkedPacketsReceived { get; init; }
    /// <summary>Acknowledgments whose ECN-CE count rose: congestion signals without loss (RFC 9002 §7.1).</summary>
    public long EcnCongestionEvents { get; init; }
    /// <summary>
    /// The largest UDP payload the connection sends now (PLPMTU, RFC 8899): <see cref="ConnectionOptions.MaxDatagramSize"/>
    /// capped by the peer's max_udp_payload_size, raised by path MTU discovery (<see cref="ConnectionOptions.EnablePathMtuDiscovery"/>).
    /// </summary>
    public int PathMtu { get; init; }
    /// <summary>Path MTU probes sent (PING+PADDING packets of a size not yet known to pass, RFC 8899 §4.1).</summary>
    public long PathMtuProbesSent { get; init; }
    /// <summary>Path MTU probes acknowledged (each raised the path MTU, unless it was overtaken by a path change or fallback).</summary>
    public long PathMtuProbesAcknowledged { get; init; }
    /// <summary>Path MTU probes declared lost (no congestion signal, RFC 9000 §14.4; three at one size end the search below it).</summary>
    public long PathMtuProbesLost { get; init; }
    /// <summary>Times packets above <see cref="ConnectionOptions.MaxDatagramSize"/> stopped getting through and the path MTU fell back to it (RFC 8899 §4.3).</summary>
    public int PathMtuBlackHolesDetected { get; init; }
}
