using Transport.Core.Time;

namespace Transport.Quic.Connection;

// Counters and the statistics snapshot.
public sealed partial class QuicConnectionCore
{
    private long _statPacketsSent, _statPacketsReceived, _statPacketsDropped, _statPacketsRetransmitted;
    private long _statBytesSent, _statBytesReceived;
    private long _statStreamBytesSent, _statStreamBytesRetransmitted, _statStreamBytesRead;
    private long _statCongestionEvents, _statProbeTimeouts;
    private Instant _statCongestionEventStart; // when the last counted congestion event began (RFC 9002 §7.3.2)
    private long _statDatagramsSent, _statDatagramsReceived, _statDatagramsDropped;
    private int _statKeyUpdates;
    private int _statInternalErrors;

    /// <summary>A snapshot of the connection's estimates and counters.</summary>
    public ConnectionStatistics GetStatistics()
    {
        var rtt = _recovery.Rtt;
        var cc = _recovery.CongestionController;
        return new ConnectionStatistics
        {
            MinRtt = rtt.MinRtt,
            SmoothedRtt = rtt.SmoothedRtt,
            RttVariance = rtt.RttVariance,
            LatestRtt = rtt.LatestRtt,
            CongestionWindow = cc.CongestionWindow,
            BytesInFlight = _recovery.BytesInFlight,
            PacingRate = cc.PacingRate,
            CongestionControllerName = cc.Name,
            CongestionState = cc.State,
            PacketsSent = _statPacketsSent,
            PacketsReceived = _statPacketsReceived,
            PacketsDropped = _statPacketsDropped,
            PacketsLost = _recovery.LostPacketCount,
            SpuriousLosses = _recovery.SpuriousLossCount,
            PacketsRetransmitted = _statPacketsRetransmitted,
            BytesSent = _statBytesSent,
            BytesReceived = _statBytesReceived,
            StreamBytesSent = _statStreamBytesSent,
            StreamBytesRetransmitted = _statStreamBytesRetransmitted,
            StreamBytesRead = _statStreamBytesRead,
            CongestionEvents = _statCongestionEvents,
            ProbeTimeouts = _statProbeTimeouts,
            StreamsOpen = _streams.Count,
            DatagramsSent = _statDatagramsSent,
            DatagramsReceived = _statDatagramsReceived,
            DatagramsDropped = _statDatagramsDropped,
            KeyUpdates = _statKeyUpdates,
            InternalErrors = _statInternalErrors,
            ZeroRttPacketsSent = _statZeroRttPacketsSent,
            ZeroRttPacketsReceived = _statZeroRttPacketsReceived,
            ZeroRttPacketsDropped = _statZeroRttPacketsDropped,
            ZeroRttPacketsRequeued = _statZeroRttPacketsRequeued,
            EcnState = EcnState,
            EcnMarkedPacketsSent = _ecnPacketsMarked,
            EcnMarkedPacketsReceived = EcnMarkedPacketsReceived,
            EcnCongestionEvents = _statEcnCongestionEvents,
            PathMtu = _maxDatagramSize,
            PathMtuProbesSent = _pmtuProbesSent,
            PathMtuProbesAcknowledged = _pmtuProbesAcknowledged,
            PathMtuProbesLost = _pmtuProbesLost,
            PathMtuBlackHolesDetected = _pmtuBlackHoles,
        };
    }
}
