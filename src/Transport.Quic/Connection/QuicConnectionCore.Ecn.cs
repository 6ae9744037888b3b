using System.Net;
using Transport.Core.Time;
using Transport.Quic.Frames;
using Transport.Reliable;
using Transport.Reliable.Recovery;

namespace Transport.Quic.Connection;

// Explicit Congestion Notification (RFC 9000 §13.4, RFC 9002 §7.1): counting the codepoints of received packets per
// packet number space and echoing them in ACK_ECN frames; marking sent packets ECT(0) while the path is being tested
// or known to be ECN-capable; validating the peer's counts (RFC 9000 §13.4.2); CE increases reach the congestion
// controller through the loss detector (RFC 9002 §7.3.2).
public sealed partial class QuicConnectionCore
{
    internal const byte EcnNotEct = 0, EcnEct1 = 1, EcnEct0 = 2, EcnCe = 3;

    /// <summary>RFC 9000 §13.4.2 / Appendix A.4: how many packets are marked before the first validation.</summary>
    private const int EcnTestingPackets = 10;

    private byte _receivedEcn;                              // codepoint of the datagram being processed
    private readonly long[] _ecnReceived = new long[9];     // per space: ECT(0), ECT(1), CE received
    private readonly long[] _ecnPeerReported = new long[9]; // per space: the peer's last counts (validated ACKs)
    private readonly long[] _ecnLargestAcked = [-1, -1, -1];
    private EcnValidationState _ecnState = EcnValidationState.Testing;
    private bool _ecnMarking;      // the datagram being built is marked ECT(0)
    private long _ecnPacketsMarked, _ecnMarkedAcknowledged, _ecnMarkedLost;
    private long _statEcnCongestionEvents;

    /// <summary>Where ECN validation of the path stands (RFC 9000 §13.4.2); <see cref="EcnValidationState.Failed"/> when ECN is off.</summary>
    public EcnValidationState EcnState => _options.EnableEcn ? _ecnState : EcnValidationState.Failed;

    /// <summary>ACKs whose ECN-CE count rose: congestion signals without loss (RFC 9002 §7.1).</summary>
    internal long EcnCongestionEvents => _statEcnCongestionEvents;

    /// <summary>
    /// Processes one UDP datagram (as <see cref="HandleDatagramAt"/>; <paramref name="local"/> null for the driver's
    /// default socket) whose IP header carried the ECN codepoint <paramref name="ecn"/> (0 Not-ECT, 1 ECT(1), 2 ECT(0),
    /// 3 CE: the low two bits of the TOS / traffic class byte). Drivers that can read the codepoint call this form; the
    /// counts go back to the peer in ACK_ECN frames (RFC 9000 §13.4.1).
    /// </summary>
    public void HandleDatagramWithEcn(Instant now, IPEndPoint remote, IPEndPoint? local, ReadOnlySpan<byte> datagram, byte ecn)
    {
        _receivedEcn = (byte)(ecn & 0b11);
        try
        {
            HandleDatagramAt(now, remote, local, datagram);
        }
        finally
        {
            _receivedEcn = EcnNotEct;
        }
    }

    /// <summary>RFC 9000 §13.4.1: a processed packet counts its datagram's codepoint in its packet number space.</summary>
    private void CountReceivedEcn(PacketSpace space)
    {
        if (_receivedEcn == EcnNotEct) return;
        int i = (int)space.Id * 3 + (_receivedEcn switch { EcnEct0 => 0, EcnEct1 => 1, _ => 2 });
        _ecnReceived[i]++;
    }

    private bool ReceivedCe => _receivedEcn == EcnCe;

    /// <summary>Every count of <see cref="_ecnReceived"/>: packets received in ECT- or CE-marked datagrams.</summary>
    private long EcnMarkedPacketsReceived
    {
        get
        {
            long sum = 0;
            foreach (long n in _ecnReceived) sum += n;
            return sum;
        }
    }

    /// <summary>The counts to put in an ACK_ECN frame for <paramref name="space"/>; null (a plain ACK) while all are zero.</summary>
    private EcnCounts? EcnCountsToSend(PacketSpace space)
    {
        int b = (int)space.Id * 3;
        if (_ecnReceived[b] == 0 && _ecnReceived[b + 1] == 0 && _ecnReceived[b + 2] == 0) return null;
        return new EcnCounts((ulong)_ecnReceived[b], (ulong)_ecnReceived[b + 1], (ulong)_ecnReceived[b + 2]);
    }

    /// <summary>The ECN counts this endpoint received in <paramref name="space"/> (what it echoes).</summary>
    internal EcnCounts GetReceivedEcnCounts(PacketNumberSpace space)
    {
        int b = (int)space * 3;
        return new EcnCounts((ulong)_ecnReceived[b], (ulong)_ecnReceived[b + 1], (ulong)_ecnReceived[b + 2]);
    }

    /// <summary>The last ECN counts the peer reported in <paramref name="space"/> (from ACK_ECN frames).</summary>
    internal EcnCounts GetPeerReportedEcnCounts(PacketNumberSpace space)
    {
        int b = (int)space * 3;
        return new EcnCounts((ulong)_ecnPeerReported[b], (ulong)_ecnPeerReported[b + 1], (ulong)_ecnPeerReported[b + 2]);
    }

    /// <summary>Decides, before a datagram is built, whether its packets carry ECT(0) (RFC 9000 §13.4.2, Appendix A.4).</summary>
    private byte PrepareEcnMarking()
    {
        _ecnMarking = _options.EnableEcn && (_ecnState == EcnValidationState.Capable
            || _ecnState == EcnValidationState.Testing && _ecnPacketsMarked < EcnTestingPackets);
        if (_ecnState == EcnValidationState.Testing && !_ecnMarking && _options.EnableEcn) _ecnState = EcnValidationState.Unknown;
        return _ecnMarking ? EcnEct0 : EcnNotEct;
    }

    /// <summary>The ECN-CE count to hand to the loss detector: -1 (none) unless the frame had counts and ECN is not failed.</summary>
    private long EcnCeForRecovery(AckFrame ack) =>
        _ecnState != EcnValidationState.Failed && _options.EnableEcn && ack.EcnCounts is { } ecn ? (long)ecn.Ce : -1;

    /// <summary>ECN validation with an ACK frame (RFC 9000 §13.4.2.1), before the acknowledged records are released.</summary>
    private void ValidateEcn(PacketSpace space, AckFrame ack, in AckOutcome outcome)
    {
        if (outcome.IsEcnCongestion) _statEcnCongestionEvents++;
        if (!_options.EnableEcn || _ecnState == EcnValidationState.Failed) return;
        long newlyMarked = 0;
        foreach (ref readonly var p in outcome.NewlyAcknowledged)
            if (p.Payload is SentPacketInfo { EcnMarked: true }) newlyMarked++;
        _ecnMarkedAcknowledged += newlyMarked;

        int si = (int)space.Id;
        long largest = (long)ack.LargestAcknowledged;
        bool largestIncreased = largest > _ecnLargestAcked[si];
        if (largestIncreased) _ecnLargestAcked[si] = largest;
        EcnCounts? counts = ack.EcnCounts;
        if (newlyMarked > 0 && counts is null)
        {
            EcnFailed(); // the path or the peer dropped the ECN information
            return;
        }
        // An ACK that does not raise the largest acknowledged may be reordered: it neither fails nor updates (RFC 9000 §13.4.2.1).
        if (counts is not { } c || !largestIncreased) return;
        int b = si * 3;
        long d0 = (long)c.Ect0 - _ecnPeerReported[b], d1 = (long)c.Ect1 - _ecnPeerReported[b + 1], dce = (long)c.Ce - _ecnPeerReported[b + 2];
        if (d0 < 0 || d1 < 0 || dce < 0 || d0 + dce < newlyMarked)
        {
            EcnFailed(); // counts went down, or fewer ECT(0)/CE than marked packets newly acknowledged (bleaching)
            return;
        }
        _ecnPeerReported[b] = (long)c.Ect0;
        _ecnPeerReported[b + 1] = (long)c.Ect1;
        _ecnPeerReported[b + 2] = (long)c.Ce;
        if (newlyMarked > 0 && _ecnState != EcnValidationState.Capable) _ecnState = EcnValidationState.Capable;
    }

    /// <summary>RFC 9000 §13.4.2: validation fails when every packet marked while testing was lost.</summary>
    private void EcnOnLost(ReadOnlySpan<SentPacket> lost)
    {
        if (!_options.EnableEcn || _ecnState == EcnValidationState.Failed) return;
        foreach (ref readonly var p in lost)
            if (p.Payload is SentPacketInfo { EcnMarked: true } && !p.IsPathMtuProbe) _ecnMarkedLost++;
        if (_ecnState != EcnValidationState.Capable && _ecnMarkedAcknowledged == 0 && _ecnPacketsMarked >= EcnTestingPackets
            && _ecnMarkedLost >= _ecnPacketsMarked)
            EcnFailed();
    }

    private void EcnFailed()
    {
        _ecnState = EcnValidationState.Failed;
        _ecnMarking = false;
    }
}
