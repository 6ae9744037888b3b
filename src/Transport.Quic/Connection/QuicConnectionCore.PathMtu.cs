using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Reliable;
using Transport.Reliable.Recovery;

namespace Transport.Quic.Connection;

// Datagram Packetization Layer PMTU Discovery (RFC 8899; RFC 9000 §14.2-14.4). The connection starts at BASE_PLPMTU
// (ConnectionOptions.MaxDatagramSize capped by the peer's max_udp_payload_size) and, once the handshake is confirmed, the
// path validated and the connection is actually sending application data (PathMtuSearchStartBytes of stream data, or
// PathMtuSearchStartDatagrams DATAGRAM frames: an idle connection, or one exchanging a few small messages, gains nothing
// from a larger datagram and sends no probe), climbs a list of candidate sizes with PING+PADDING probes: one probe outstanding at a time, sent when
// the congestion window has room for it; its acknowledgment raises the PLPMTU (every packet then uses it), MAX_PROBES
// losses of one size end the climb (SEARCH_COMPLETE) until PMTU_RAISE_TIMER. A probe's loss is not a congestion signal
// (the loss detector knows probes: SentPacket.IsPathMtuProbe). Black hole detection (RFC 8899 §4.3): packets above BASE
// lost repeatedly while none above BASE is acknowledged, or two PTOs in a row with nothing acknowledged, drop the PLPMTU
// back to BASE and search again. A new path starts from BASE (RFC 9000 §14.2.1 / §9.4).
public sealed partial class QuicConnectionCore
{
    /// <summary>RFC 8899 §5.1.2 MAX_PROBES: lost probes of one size before it counts as too big.</summary>
    internal const int PathMtuMaxProbes = 3;

    /// <summary>RFC 8899 §5.1.1 PMTU_RAISE_TIMER: how long a completed search rests before probing upward again.</summary>
    internal static readonly TimeSpan PathMtuRaiseInterval = TimeSpan.FromSeconds(600);

    /// <summary>Packets above BASE declared lost, with none above BASE acknowledged meanwhile, that make a black hole.</summary>
    internal const int PathMtuBlackHoleLosses = 8;

    /// <summary>
    /// The sizes the search climbs (UDP payload bytes): Ethernet's 1500-byte MTU over IPv6 and IPv4 (minus 48 / 28 bytes of
    /// IP and UDP headers), 4 KiB, 8 KiB, 9000-byte jumbo frames over IPv6 / IPv4, 16 KiB, 32 KiB, and a 65536-byte loopback
    /// MTU over IPv6 / IPv4. Above the current size and up to the ceiling, each is tried in turn; the ceiling itself last.
    /// </summary>
    private static readonly int[] PathMtuCandidates = [1452, 1472, 4096, 8192, 8952, 8972, 16384, 32768, 65487, 65507];

    /// <summary>Stream bytes sent (0.5-RTT and 1-RTT) after which the search starts: a few datagrams' worth.</summary>
    internal const long PathMtuSearchStartBytes = 4 * 1452;

    /// <summary>DATAGRAM frames sent after which the search starts.</summary>
    internal const long PathMtuSearchStartDatagrams = 4;

    private const int MaxUdpPayload = 65527;

    // Waiting: before confirmation (or discovery off). Ready: confirmed, waiting for application data to send.
    private enum PathMtuPhase : byte { Waiting, Ready, Searching, SearchComplete }

    private PathMtuPhase _pmtuPhase;
    private int _pmtuLocalLimit = MaxUdpPayload; // the route's limit the driver reported (SetLocalMaxUdpPayload)
    private int _pmtuTooBig = int.MaxValue;      // smallest size found not to pass in this search (MAX_PROBES losses)
    private int _pmtuProbeSize;                  // the size being probed; 0: none chosen
    private int _pmtuProbeLosses;                // probes of _pmtuProbeSize declared lost
    private long _pmtuProbePacketNumber = -1;    // the probe in flight; -1: none (one at a time)
    private Instant _pmtuRaiseAt;
    private int _pmtuLargeLossRun;               // black hole detection: packets above BASE lost since one above BASE was acknowledged
    private long _pmtuProbesSent, _pmtuProbesAcknowledged, _pmtuProbesLost;
    private int _pmtuBlackHoles;

    /// <summary>BASE_PLPMTU (RFC 8899 §5.1.2): <see cref="ConnectionOptions.MaxDatagramSize"/> capped by the peer's max_udp_payload_size.</summary>
    private int PathMtuBase => Math.Min(_options.MaxDatagramSize, PeerMaxUdpPayload);

    private int PeerMaxUdpPayload => _peerParameters is { } p ? (int)Math.Max(1200, Math.Min(p.MaxUdpPayloadSize, (ulong)MaxUdpPayload)) : MaxUdpPayload;

    /// <summary>The largest size a probe may have: the option, the peer's max_udp_payload_size and the local route's limit.</summary>
    internal int PathMtuCeiling => Math.Min(Math.Min(_options.MaxPathMtuDiscoverySize, PeerMaxUdpPayload), _pmtuLocalLimit);

    /// <summary>True once the search settled (false while waiting for confirmation or for application data, or climbing).</summary>
    internal bool IsPathMtuSearchComplete => _pmtuPhase == PathMtuPhase.SearchComplete;

    /// <summary>True once the search started (the connection sent enough application data); false while it waits.</summary>
    internal bool IsPathMtuSearchStarted => _pmtuPhase is PathMtuPhase.Searching or PathMtuPhase.SearchComplete;

    /// <summary>
    /// The driver's word on the largest UDP payload the local route carries (the interface MTU minus the IP and UDP
    /// headers, e.g. 65507 over IPv4 loopback, 1472 over IPv4 Ethernet): probes never exceed it, and a current size above
    /// it drops to it (not below BASE). A larger value than before lets a completed search climb again.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is not 1200 to 65527.</exception>
    internal void SetLocalMaxUdpPayload(int bytes)
    {
        if (bytes is < 1200 or > MaxUdpPayload)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "The local maximum UDP payload must be 1200 to 65527 bytes.");
        int before = _pmtuLocalLimit;
        _pmtuLocalLimit = bytes;
        if (_maxDatagramSize > bytes) SetPathMtu(Math.Max(PathMtuBase, bytes));
        if (bytes > before && _pmtuPhase == PathMtuPhase.SearchComplete)
        {
            _pmtuTooBig = int.MaxValue;
            StartPathMtuSearch();
        }
        else if (_pmtuProbeSize > PathMtuCeiling)
        {
            AbandonPathMtuProbe();
            ChooseNextPathMtuProbe();
        }
    }

    /// <summary>
    /// The handshake is confirmed (RFC 8899 §5.2: the search may start once the path is known to work). It starts when the
    /// connection has sent enough application data (<see cref="PathMtuSearchDue"/>): probing costs the network up to
    /// 64 KiB a probe and the connection its records, for nothing on a connection that has no data to send.
    /// </summary>
    private void OnPathMtuHandshakeConfirmed()
    {
        if (_options.EnablePathMtuDiscovery && _pmtuPhase == PathMtuPhase.Waiting) _pmtuPhase = PathMtuPhase.Ready;
    }

    /// <summary>The connection has sent enough application data for a larger datagram to pay off.</summary>
    private bool PathMtuSearchDue => _statStreamBytesSent >= PathMtuSearchStartBytes || _statDatagramsSent >= PathMtuSearchStartDatagrams;

    private void StartPathMtuSearch()
    {
        AbandonPathMtuProbe();
        _pmtuPhase = PathMtuPhase.Searching;
        _pmtuLargeLossRun = 0;
        ChooseNextPathMtuProbe();
    }

    /// <summary>The next size above the current one (and below any size found too big) up to the ceiling; none: search complete.</summary>
    private void ChooseNextPathMtuProbe()
    {
        _pmtuProbeLosses = 0;
        int limit = Math.Min(PathMtuCeiling, _pmtuTooBig - 1);
        int next = 0;
        foreach (int c in PathMtuCandidates)
        {
            if (c > _maxDatagramSize && c <= limit)
            {
                next = c;
                break;
            }
        }
        int ceiling = PathMtuCeiling;
        if (next == 0 && ceiling < _pmtuTooBig && ceiling > _maxDatagramSize) next = ceiling; // the ceiling itself, last
        _pmtuProbeSize = next;
        if (next == 0 && _pmtuPhase == PathMtuPhase.Searching)
        {
            _pmtuPhase = PathMtuPhase.SearchComplete;
            _pmtuRaiseAt = _now + PathMtuRaiseInterval;
        }
    }

    /// <summary>Forgets the probe in flight: its acknowledgment or loss, when it comes, changes nothing.</summary>
    private void AbandonPathMtuProbe() => _pmtuProbePacketNumber = -1;

    /// <summary>The PLPMTU changes: every packet from now on, the controller's and the pacer's segment size follow.</summary>
    private void SetPathMtu(int size)
    {
        if (size == _maxDatagramSize) return;
        _maxDatagramSize = size;
        _recovery.CongestionController.OnMaxDatagramSizeChanged(size);
        _pacer.OnMaxDatagramSizeChanged(size);
    }

    /// <summary>The probe size to send now, or 0: none due, one in flight, or the window, pacer or buffer has no room.</summary>
    private int PathMtuProbeToSend(int bufferLength)
    {
        if (!_options.EnablePathMtuDiscovery || _phase != ConnectionPhase.Open || !_handshakeConfirmed || _oneRtt is null) return 0;
        if (_pmtuPhase == PathMtuPhase.Ready)
        {
            if (!PathMtuSearchDue) return 0; // nothing worth a larger datagram has been sent yet
            StartPathMtuSearch();
        }
        if (_pmtuPhase == PathMtuPhase.SearchComplete && _now >= _pmtuRaiseAt)
        {
            // RFC 8899 §5.2: PMTU_RAISE_TIMER expired: probe upward again from the current size.
            _pmtuTooBig = int.MaxValue;
            StartPathMtuSearch();
        }
        if (_pmtuPhase != PathMtuPhase.Searching || _pmtuProbeSize == 0 || _pmtuProbePacketNumber >= 0) return 0;
        if (!_addressValidated || _activePath is { IsValidating: true }) return 0; // only on a validated path (RFC 9000 §14.2.1)
        if (_pmtuProbeSize > bufferLength) return 0;
        foreach (var s in _spaces) if (s.ProbesPending > 0) return 0; // loss recovery's probes first
        // Room in the window, not room for the whole probe: the search now runs while the connection sends data (it
        // starts with the data), and a transfer fills every opening of the window with full-size packets, so a probe
        // that waited for room for all of itself (up to 64 KiB) would wait for most of the transfer. It may go over the
        // window by at most its own size, once a round trip (one probe in flight).
        if (_recovery.BytesInFlight >= _recovery.CongestionController.CongestionWindow) return 0;
        if (_pacer.NextSendTime(_now, _pmtuProbeSize) > _now + _options.PacingHorizon) return 0; // BuildDatagram arms the pacing wait
        return _pmtuProbeSize;
    }

    /// <summary>A 1-RTT packet of PING and PADDING filling exactly <paramref name="size"/> bytes (RFC 9000 §14.4), tracked as a probe.</summary>
    private int BuildPathMtuProbe(Span<byte> buffer, int size)
    {
        var app = _spaces[2];
        ConnectionId dcid = _cids.Current;
        long pn = app.NextPacketNumber;
        long largestAcked = _recovery.GetLargestAcknowledged(app.Id);
        int pnLength = PacketNumber.GetEncodedLength((ulong)pn, largestAcked >= 0 ? (ulong)largestAcked : null);
        int headerLength = ShortHeaderBuilder.GetHeaderLength(dcid.Length, pnLength);
        var w = new SpanWriter(PayloadScratch[2].AsSpan(0, 16));
        FrameWriter.TryWritePing(ref w);
        var info = _infoPool.Rent(PacketNumberSpace.ApplicationData);
        info.Add(new SentFrame { Kind = SentFrameKind.Ping });
        info.Abandoned = true; // a probe is never retransmitted (RFC 9000 §14.4): its loss requeues nothing
        app.NextPacketNumber = pn + 1;
        _built[0] = new BuiltPacket
        {
            Space = app, Info = info, PacketNumber = pn, PacketNumberLength = pnLength, HeaderLength = headerLength,
            PayloadLength = w.Position, AckEliciting = true, PathMtuProbe = true,
        };
        int used = headerLength + w.Position + TagLength;
        int n = Assemble(buffer.Slice(0, size), 1, used, size, dcid, LocalConnectionId, track: true);
        _pmtuProbePacketNumber = pn;
        _pmtuProbesSent++;
        return n;
    }

    /// <summary>Sends a probe when one is due: called by <see cref="PollTransmit"/> before ordinary packets; 0 when none went.</summary>
    private int PollPathMtuProbe(Span<byte> buffer, out TransmitInfo info)
    {
        info = default;
        int size = PathMtuProbeToSend(buffer.Length);
        if (size == 0) return 0;
        int n = BuildPathMtuProbe(buffer, size);
        _statBytesSent += n;
        _amplificationBytesSent += n;
        _pacer.OnPacketSent(_now, n);
        _lastActivity = _now;
        if (!_ackElicitingSentSinceReceive)
        {
            _ackElicitingSentSinceReceive = true;
            ResetIdleTimer(_now); // RFC 9000 §10.1
        }
        info = new TransmitInfo(RemoteEndPoint, _now, 0) { Source = _activePath?.Local };
        return n;
    }

    /// <summary>What an ACK or a loss-detection timeout resolved: probes answered or lost, and black hole detection.</summary>
    private void OnPathMtuOutcome(ReadOnlySpan<SentPacket> acknowledged, ReadOnlySpan<SentPacket> lost)
    {
        if (!_options.EnablePathMtuDiscovery) return;
        int pathMtuBase = PathMtuBase;
        bool largeAcknowledged = false;
        foreach (ref readonly var p in acknowledged)
        {
            if (p.IsPathMtuProbe)
            {
                if (p.PacketNumber == _pmtuProbePacketNumber) OnPathMtuProbeAcknowledged(p.Size);
                continue;
            }
            if (p.Size > pathMtuBase) largeAcknowledged = true;
        }
        int largeLost = 0;
        foreach (ref readonly var p in lost)
        {
            if (p.IsPathMtuProbe)
            {
                if (p.PacketNumber == _pmtuProbePacketNumber) OnPathMtuProbeLost();
                continue;
            }
            if (p.Size > pathMtuBase && p.IsAckEliciting) largeLost++;
        }
        // RFC 8899 §4.3: packets above BASE keep getting lost and none of them arrives: the path stopped carrying them.
        if (largeAcknowledged) _pmtuLargeLossRun = 0;
        else _pmtuLargeLossRun += largeLost;
        if (_pmtuLargeLossRun >= PathMtuBlackHoleLosses) OnPathMtuBlackHole();
    }

    private void OnPathMtuProbeAcknowledged(int size)
    {
        _pmtuProbesAcknowledged++;
        AbandonPathMtuProbe();
        if (size > _maxDatagramSize) SetPathMtu(size);
        ChooseNextPathMtuProbe();
    }

    private void OnPathMtuProbeLost()
    {
        _pmtuProbesLost++;
        AbandonPathMtuProbe();
        if (++_pmtuProbeLosses < PathMtuMaxProbes) return; // the same size again
        _pmtuTooBig = Math.Min(_pmtuTooBig, _pmtuProbeSize); // RFC 8899 §5.2: too big; the climb ends below it
        ChooseNextPathMtuProbe();
    }

    /// <summary>
    /// Two probe timeouts in a row in the application space with nothing acknowledged (RFC 9002 §6.2) while the oldest
    /// outstanding packets include one above BASE: the path may have stopped carrying that size, so the PTO probes go out
    /// at BASE (RFC 8899 §4.3). Timeouts of small packets only (request/response on a slow peer) say nothing about it.
    /// </summary>
    private void OnPathMtuProbeTimeout()
    {
        int pathMtuBase = PathMtuBase;
        if (!_options.EnablePathMtuDiscovery || _recovery.PtoCount < 2 || _maxDatagramSize <= pathMtuBase) return;
        var oldest = t_outstanding ??= new SentPacket[4];
        int n = _recovery.CopyOutstandingPackets(PacketNumberSpace.ApplicationData, oldest);
        bool large = false;
        for (int i = 0; i < n; i++)
        {
            large |= !oldest[i].IsPathMtuProbe && oldest[i].IsAckEliciting && oldest[i].Size > pathMtuBase;
            oldest[i] = default;
        }
        if (large) OnPathMtuBlackHole();
    }

    /// <summary>RFC 8899 §4.3: back to BASE_PLPMTU, then search again (below the size that stopped passing).</summary>
    private void OnPathMtuBlackHole()
    {
        int pathMtuBase = PathMtuBase;
        _pmtuLargeLossRun = 0;
        if (_maxDatagramSize <= pathMtuBase) return;
        _pmtuBlackHoles++;
        _pmtuTooBig = _maxDatagramSize;
        SetPathMtu(pathMtuBase);
        if (IsPathMtuSearchStarted) StartPathMtuSearch();
    }

    /// <summary>A new active path (RFC 9000 §9.4, §14.2.1): its PMTU is unknown; start from BASE and search again.</summary>
    private void OnPathMtuPathChanged()
    {
        _pmtuLargeLossRun = 0;
        _pmtuTooBig = int.MaxValue;
        SetPathMtu(PathMtuBase);
        if (IsPathMtuSearchStarted) StartPathMtuSearch();
    }
}
