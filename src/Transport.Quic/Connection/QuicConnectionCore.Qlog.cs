using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using Transport.Reliable;
using Transport.Reliable.Congestion;
using Transport.Reliable.Recovery;

namespace Transport.Quic.Connection;

// qlog (draft-ietf-quic-qlog 0.3, see Qlog/README.md): the connection's trace. Every call site elsewhere is one line behind
// `if (_qlog is not null)`, so a connection without qlog pays one null check per site and allocates nothing. Frames are
// logged by decoding the packet payload again with FrameReader (sent: the plaintext left in the payload scratch; received:
// the decrypted payload), so the packet builders and frame handlers stay untouched.
public sealed partial class QuicConnectionCore
{
    private readonly QlogWriter? _qlog;
    private Exception? _qlogStartFailure;
    private CongestionState _qlogCongestionState;
    private int _qlogSendGeneration, _qlogReceiveGeneration;
    private int _receivedPacketLength;
    private CipherSuite? _qlogCipherSuite;

    /// <summary>
    /// Why this connection's qlog trace stopped or never started (an I/O error, or the <see cref="ConnectionOptions.Qlog"/>
    /// factory threw); null while it runs, or when qlog is off. Logging never disturbs the connection itself.
    /// </summary>
    public Exception? QlogFailure => _qlogStartFailure ?? _qlog?.Failure;

    /// <summary>True while this connection writes a qlog trace.</summary>
    public bool IsQlogEnabled => _qlog is { IsEnabled: true };

    /// <summary>Creates the writer (constructor) and logs what is known at creation; null when qlog is off or failed.</summary>
    private QlogWriter? StartQlog(IQlogWriterFactory? factory, Instant now)
    {
        if (factory is null) return null;
        QlogWriter? qlog;
        try
        {
            // The client's first DCID names the trace on both sides, also after a Retry (RFC 9000 §7.3).
            qlog = factory.Create(_retriedFrom ?? _originalDestinationConnectionId, IsServer ? QlogVantagePoint.Server : QlogVantagePoint.Client, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _qlogStartFailure = e;
            return null;
        }
        if (qlog is null || !qlog.IsEnabled)
        {
            // QlogFileFactory answers Null only when the file could not be made: report why on this connection.
            if (factory is QlogFileFactory files && ReferenceEquals(qlog, QlogWriter.Null)) _qlogStartFailure = files.LastFailure;
            else _qlogStartFailure = qlog?.Failure;
            return null;
        }

        ReadOnlySpan<uint> versions = [Version];
        if (IsServer) qlog.VersionInformation(now, Version, serverVersions: versions);
        else qlog.VersionInformation(now, Version, clientVersions: versions);
        // The sans-I/O connection knows no local address; the server learns the client's connection ID from its Initial.
        qlog.ConnectionStarted(now, null, RemoteEndPoint, LocalConnectionId, IsServer ? default : _cids.Current);
        qlog.ParametersSet(now, QlogOwner.Local, _localParameters);
        qlog.KeyUpdated(now, QlogKeyType.ClientInitialSecret, QlogKeyUpdateTrigger.Tls);
        qlog.KeyUpdated(now, QlogKeyType.ServerInitialSecret, QlogKeyUpdateTrigger.Tls);
        _qlogCongestionState = _recovery.CongestionController.State;
        qlog.CongestionStateUpdated(now, null, _qlogCongestionState);
        return qlog;
    }

    /// <summary>transport:packet_sent for a packet <see cref="Assemble"/> just sealed, then the recovery metrics it changed.</summary>
    private void QlogPacketSent(in BuiltPacket b, int packetLength)
    {
        var qlog = _qlog!;
        EncryptionLevel level = b.ZeroRtt ? EncryptionLevel.ZeroRtt : b.Space.Level;
        // The peer will read these frames: decode them as the receiver does (receiverIsServer = the peer's role).
        AddQlogFrames(qlog.Frames, PayloadScratch[(int)b.Space.Id].AsSpan(0, b.PayloadLength), level, receiverIsServer: !IsServer,
            _options.AckDelayExponent);
        if (b.Padding > 0) qlog.Frames.AddPadding(b.Padding);
        qlog.PacketSent(_now, QlogWriter.PacketTypeOf(level), (ulong)b.PacketNumber, packetLength, qlog.Frames);
        if (b.Info is not null) QlogMetrics(QlogCongestionStateTrigger.None); // tracked: bytes in flight changed
    }

    /// <summary>transport:packet_received, before the frames are acted on (so what they cause follows in the trace).</summary>
    private void QlogPacketReceived(EncryptionLevel level, long packetNumber, ReadOnlySpan<byte> payload)
    {
        var qlog = _qlog!;
        AddQlogFrames(qlog.Frames, payload, level, receiverIsServer: IsServer,
            _peerParameters?.AckDelayExponent ?? Parameters.TransportParameters.DefaultAckDelayExponent);
        qlog.PacketReceived(_now, QlogWriter.PacketTypeOf(level), (ulong)packetNumber, _receivedPacketLength, qlog.Frames);
    }

    private static void AddQlogFrames(QlogFrameList frames, ReadOnlySpan<byte> payload, EncryptionLevel level, bool receiverIsServer, int ackDelayExponent)
    {
        var reader = new FrameReader(payload, level, receiverIsServer);
        while (reader.ReadNext(out Frame frame) == FrameReadResult.Frame) frames.Add(frame, ackDelayExponent);
        // A malformed frame ends the list; the frame handlers close the connection for it.
    }

    /// <summary>A packet that is not processed: counted, and logged as transport:packet_dropped.</summary>
    private void DropPacket(PacketType? type, int length, QlogPacketDropReason reason, long packetNumber = -1)
    {
        _statPacketsDropped++;
        if (_qlog is not null) _qlog.PacketDropped(_now, type, length, reason, packetNumber >= 0 ? (ulong)packetNumber : null);
    }

    /// <summary>After an ACK or a loss-detection timeout: recovery:packet_lost for each lost packet, then metrics and state.</summary>
    private void QlogRecovery(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, bool ecnCongestion)
    {
        var qlog = _qlog!;
        foreach (ref readonly var p in lost)
        {
            if (p.Payload is not SentPacketInfo info) continue;
            // RFC 9002 §6.1.1: lost by packet threshold when kPacketThreshold newer packets were acknowledged; else by time.
            var trigger = _recovery.GetLargestAcknowledged(info.Space) >= p.PacketNumber + RecoveryConstants.PacketThreshold
                ? QlogPacketLostTrigger.ReorderingThreshold : QlogPacketLostTrigger.TimeThreshold;
            var type = info.ZeroRtt ? PacketType.ZeroRtt : info.Space switch
            {
                PacketNumberSpace.Initial => PacketType.Initial,
                PacketNumberSpace.Handshake => PacketType.Handshake,
                _ => PacketType.OneRtt,
            };
            qlog.PacketLost(_now, type, (ulong)p.PacketNumber, trigger);
        }
        QlogMetrics(persistentCongestion ? QlogCongestionStateTrigger.PersistentCongestion
            : ecnCongestion ? QlogCongestionStateTrigger.Ecn : QlogCongestionStateTrigger.None);
    }

    /// <summary>recovery:metrics_updated (the writer keeps only what changed) and recovery:congestion_state_updated.</summary>
    private void QlogMetrics(QlogCongestionStateTrigger trigger)
    {
        var qlog = _qlog!;
        var rtt = _recovery.Rtt;
        var cc = _recovery.CongestionController;
        // Before the first sample only the initial estimates exist (RFC 9002 §6.2.2): no min_rtt or latest_rtt yet.
        TimeSpan? minRtt = rtt.HasSample ? rtt.MinRtt : null, latestRtt = rtt.HasSample ? rtt.LatestRtt : null;
        qlog.MetricsUpdated(_now, minRtt, rtt.SmoothedRtt, latestRtt, rtt.RttVariance, cc.CongestionWindow,
            _recovery.BytesInFlight, ssthresh: null, pacingRateBytesPerSecond: cc.PacingRate > 0 ? cc.PacingRate : null,
            ptoCount: _recovery.PtoCount);
        CongestionState state = cc.State;
        if (state != _qlogCongestionState)
        {
            qlog.CongestionStateUpdated(_now, _qlogCongestionState, state, trigger);
            _qlogCongestionState = state;
        }
    }

    /// <summary>security:key_updated for keys TLS installed (RFC 9001 §4.1.4).</summary>
    private void QlogKeyInstalled(EncryptionLevel level, CipherSuite suite, bool write)
    {
        _qlogCipherSuite = suite;
        bool serverSecret = write == IsServer; // our write key is our role's secret; our read key the peer's
        _qlog!.KeyUpdated(_now, QlogWriter.KeyTypeOf(level, serverSecret), QlogKeyUpdateTrigger.Tls,
            level == EncryptionLevel.OneRtt ? 0u : null);
    }

    /// <summary>
    /// security:key_updated for 1-RTT key updates (RFC 9001 §6), from the key generations: our send keys moving alone is
    /// our update; the peer's keys moving alone is its answer to ours; both at once is an update the peer started.
    /// </summary>
    private void QlogKeyGenerations()
    {
        if (_oneRtt is null) return;
        int send = _oneRtt.SendGeneration, receive = _oneRtt.ReceiveGeneration;
        bool sendChanged = send != _qlogSendGeneration, receiveChanged = receive != _qlogReceiveGeneration;
        var trigger = sendChanged && receiveChanged ? QlogKeyUpdateTrigger.RemoteUpdate : QlogKeyUpdateTrigger.LocalUpdate;
        if (sendChanged)
            _qlog!.KeyUpdated(_now, IsServer ? QlogKeyType.Server1RttSecret : QlogKeyType.Client1RttSecret, trigger, (uint)send);
        if (receiveChanged)
            _qlog!.KeyUpdated(_now, IsServer ? QlogKeyType.Client1RttSecret : QlogKeyType.Server1RttSecret, trigger, (uint)receive);
        _qlogSendGeneration = send;
        _qlogReceiveGeneration = receive;
    }

    /// <summary>security:key_retired for both secrets of a discarded space (RFC 9001 §4.9).</summary>
    private void QlogKeysRetired(EncryptionLevel level)
    {
        _qlog!.KeyRetired(_now, QlogWriter.KeyTypeOf(level, serverSecret: false), QlogKeyUpdateTrigger.Tls);
        _qlog.KeyRetired(_now, QlogWriter.KeyTypeOf(level, serverSecret: true), QlogKeyUpdateTrigger.Tls);
    }

    /// <summary>Handshake progress as connectivity:connection_state_updated, and the ALPN once complete.</summary>
    private void QlogHandshakeState(QlogConnectionState state)
    {
        var qlog = _qlog!;
        if (state == QlogConnectionState.HandshakeComplete)
        {
            var alpn = _tls.NegotiatedApplicationProtocol;
            qlog.AlpnInformation(_now, null, null, alpn.Protocol.IsEmpty ? null : alpn.ToString());
        }
        qlog.ConnectionStateUpdated(_now, null, state);
    }

    /// <summary>The Closed and Terminated events of the connection.</summary>
    private void QlogConnectionEvent(in ConnectionEvent e)
    {
        if (e.Kind == ConnectionEventKind.Terminated) QlogTerminated();
        else QlogClosed(e);
    }

    /// <summary>connectivity:connection_closed from the Closed event (the writer flushes).</summary>
    private void QlogClosed(in ConnectionEvent e)
    {
        var qlog = _qlog!;
        switch (e.CloseSource)
        {
            case ConnectionCloseSource.Local:
                qlog.ConnectionClosed(_now, QlogOwner.Local, null, e.ErrorCode, e.Reason,
                    e.ErrorCode == 0 ? QlogConnectionCloseTrigger.Clean : QlogConnectionCloseTrigger.Application);
                break;
            case ConnectionCloseSource.LocalTransportError:
                qlog.ConnectionClosed(_now, QlogOwner.Local, e.ErrorCode, null, e.Reason,
                    e.ErrorCode == 0 ? QlogConnectionCloseTrigger.Clean : QlogConnectionCloseTrigger.Error);
                break;
            case ConnectionCloseSource.Peer:
                qlog.ConnectionClosed(_now, QlogOwner.Remote, e.IsApplicationError ? null : e.ErrorCode, e.IsApplicationError ? e.ErrorCode : null,
                    e.Reason, e.ErrorCode == 0 ? QlogConnectionCloseTrigger.Clean
                    : e.IsApplicationError ? QlogConnectionCloseTrigger.Application : QlogConnectionCloseTrigger.Error);
                break;
            case ConnectionCloseSource.IdleTimeout:
                qlog.ConnectionClosed(_now, null, null, null, e.Reason,
                    _handshakeComplete ? QlogConnectionCloseTrigger.IdleTimeout : QlogConnectionCloseTrigger.HandshakeTimeout);
                break;
            case ConnectionCloseSource.StatelessReset:
                qlog.ConnectionClosed(_now, QlogOwner.Remote, null, null, e.Reason, QlogConnectionCloseTrigger.StatelessReset);
                break;
            case ConnectionCloseSource.VersionNegotiation:
                qlog.ConnectionClosed(_now, QlogOwner.Remote, null, null, e.Reason, QlogConnectionCloseTrigger.VersionMismatch);
                break;
            default:
                qlog.ConnectionClosed(_now, null, null, null, e.Reason);
                break;
        }
    }

    /// <summary>The closing or draining period ended: the last state, then the file is closed.</summary>
    private void QlogTerminated()
    {
        _qlog!.ConnectionStateUpdated(_now, null, QlogConnectionState.Closed);
        _qlog.Dispose();
    }

    /// <summary>The peer's first long header gave its connection ID (RFC 9000 §7.2).</summary>
    private void QlogPeerConnectionId(ConnectionId? old, ConnectionId current) =>
        _qlog!.ConnectionIdUpdated(_now, QlogOwner.Remote, old, current);
}
