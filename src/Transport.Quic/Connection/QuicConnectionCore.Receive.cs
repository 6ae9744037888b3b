using System.Net;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Packets;

namespace Transport.Quic.Connection;

// Datagrams in (RFC 9000 §12.2, §17; RFC 9001 §5): split coalesced packets, remove protection, hand payloads to the frames.
public sealed partial class QuicConnectionCore
{
    // One buffer per thread, not per connection: a datagram is copied in and decrypted in place within one call. As a
    // field it was 64 KiB of every connection's memory (bench tour, scale section).
    [ThreadStatic] private static byte[]? t_receiveBuffer;
    private long _amplificationBytesReceived;
    private int _lastReceiveGeneration;

    /// <summary>
    /// Processes one UDP datagram from <paramref name="remote"/> (possibly several coalesced packets). Never throws for
    /// network input: undecryptable packets are dropped and counted, protocol violations close the connection with the
    /// RFC's error code (a <see cref="ConnectionEventKind.Closed"/> event).
    /// </summary>
    public void HandleDatagram(Instant now, IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        try
        {
            HandleDatagramCore(now, remote, null, datagram);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnInternalError(ex);
        }
    }

    private void HandleDatagramCore(Instant now, IPEndPoint remote, IPEndPoint? local, ReadOnlySpan<byte> datagram)
    {
        Touch(now);
        if (_phase == ConnectionPhase.Terminated || datagram.IsEmpty) return;
        _statBytesReceived += datagram.Length;
        if (!BeginDatagram(remote, local, datagram.Length)) // the path; anti-amplification counts (QuicConnectionCore.Paths.cs)
        {
            _statPacketsDropped++;
            return;
        }
        byte[] receiveBuffer = t_receiveBuffer ??= new byte[65536];
        if (datagram.Length > receiveBuffer.Length)
        {
            DropPacket(null, datagram.Length, Qlog.QlogPacketDropReason.DosPrevention);
            return;
        }
        Span<byte> buffer = receiveBuffer.AsSpan(0, datagram.Length);
        datagram.CopyTo(buffer);

        int processed = 0;
        int offset = 0;
        while (offset < buffer.Length && _phase != ConnectionPhase.Terminated)
        {
            Span<byte> rest = buffer.Slice(offset);
            if (PacketHeaderBits.IsLongHeader(rest[0]))
            {
                if (offset == 0 && !IsServer && rest.Length >= 5 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(rest.Slice(1)) == QuicVersion.Negotiation)
                {
                    OnVersionNegotiation(rest);
                    break;
                }
                bool parsed = LongHeader.TryParse(rest, out LongHeader header);
                if (parsed && header.Type == PacketType.Retry)
                {
                    if (offset == 0) OnRetry(rest, header.Version, header.SourceConnectionId, header.Token);
                    else DropPacket(PacketType.Retry, rest.Length, Qlog.QlogPacketDropReason.UnexpectedPacket);
                    break;
                }
                if (!parsed || header.PacketLength <= 0 || !AcceptLongHeaderVersion(header.Version, header.Type))
                {
                    DropPacket(parsed ? header.Type : null, rest.Length, parsed && header.Version != Version
                        ? Qlog.QlogPacketDropReason.UnsupportedVersion : Qlog.QlogPacketDropReason.HeaderParseError);
                    break; // RFC 9000 §12.2: an unparseable packet ends the datagram; Version Negotiation and Retry are the endpoint's (not handled here)
                }
                int length = header.PacketLength;
                if (ProcessLongPacket(rest.Slice(0, length), header.Type, header.SourceConnectionId, header.PacketNumberOffset, datagram.Length)) processed++;
                offset += length;
            }
            else
            {
                if (ProcessShortPacket(rest)) processed++;
                break;
            }
        }

        // RFC 9000 §10.3.1: a datagram that did not decrypt may be a stateless reset.
        if (processed == 0 && StatelessResetPacket.TryGetToken(datagram, out ReadOnlySpan<byte> token) && _cids.IsStatelessReset(token))
            OnStatelessReset();

        if (IsServer) ProcessPendingZeroRtt();
        if (_pendingOneRtt.Count > 0 && _oneRtt is { CanReceive: true }) ProcessPendingOneRtt();
        ApplyPendingDiscards();
        UpdateAmplificationState();
    }

    private bool ProcessLongPacket(Span<byte> packet, PacketType type, ReadOnlySpan<byte> sourceConnectionId, int pnOffset, int datagramLength)
    {
        _receivedPacketLength = packet.Length;
        PacketSpace space;
        switch (type)
        {
            case PacketType.Initial:
                // RFC 9000 §14.1: a server drops Initial packets in datagrams under 1200 bytes.
                if (IsServer && !InitialDatagramPadding.IsLargeEnough(datagramLength))
                {
                    DropPacket(type, packet.Length, Qlog.QlogPacketDropReason.InvalidInitial);
                    return false;
                }
                space = _spaces[0];
                break;
            case PacketType.Handshake:
                space = _spaces[1];
                break;
            case PacketType.ZeroRtt:
                return ProcessZeroRttPacket(packet, pnOffset);
            default:
                DropPacket(type, packet.Length, Qlog.QlogPacketDropReason.UnexpectedPacket);
                return false;
        }
        var receiveKeys = type == PacketType.Initial ? InitialReceiveKeys(space) : space.ReceiveKeys; // QuicConnectionCore.Versions.cs
        if (space.IsDiscarded || receiveKeys is null)
        {
            DropPacket(type, packet.Length, Qlog.QlogPacketDropReason.KeyUnavailable);
            return false;
        }
        var scid = new ConnectionId(sourceConnectionId); // copy before decryption changes the buffer
        if (!receiveKeys.TryOpen(packet, pnOffset, space.Tracker.LargestReceived, out long pn, out int headerLength, out int payloadLength))
        {
            DropPacket(type, packet.Length, Qlog.QlogPacketDropReason.PayloadDecryptError);
            return false;
        }
        if (_datagramFromNewHandshakeAddress) FollowHandshakeAddress(pn, space.Tracker.LargestReceived); // NAT rebinding mid-handshake
        if (!PacketHeaderBits.AreReservedBitsZero(packet[0]))
        {
            CloseWithTransportError(TransportErrorCode.ProtocolViolation, 0, "Reserved header bits set (RFC 9000 §17.2).");
            return true;
        }
        if (_peerInitialSourceConnectionId is null)
        {
            // The peer's first long header gives its connection ID: the client switches to the server's (RFC 9000 §7.2).
            if (_qlog is not null && !scid.Equals(_cids.Current)) QlogPeerConnectionId(_cids.Current, scid);
            _peerInitialSourceConnectionId = scid;
            _cids.SetInitialPeer(scid);
        }
        if (type == PacketType.Handshake && IsServer && !_addressValidated)
        {
            _addressValidated = true;          // RFC 9000 §8.1: a Handshake packet proves the client's address
            _discardInitialPending = true;     // RFC 9001 §4.9.1: the server discards Initial keys now
        }
        ProcessPayload(space, pn, packet.Slice(headerLength, payloadLength));
        return true;
    }

    private bool ProcessShortPacket(Span<byte> packet)
    {
        _receivedPacketLength = packet.Length;
        if (_oneRtt is null || !_oneRtt.CanReceive)
        {
            // A client's 1-RTT keys come with the server's Finished, a server's at handshake completion (RFC 9001 §5.7):
            // a 1-RTT packet that overtook them (0.5-RTT data, or the client's first request) waits (RFC 9001 §5.7).
            if (_pendingOneRtt.Count < MaxPendingOneRttPackets && _phase == ConnectionPhase.Open)
            {
                _pendingOneRtt.Add(packet.ToArray());
                _qlog?.PacketBuffered(_now, PacketType.OneRtt, packet.Length);
            }
            else DropPacket(PacketType.OneRtt, packet.Length, Qlog.QlogPacketDropReason.KeyUnavailable);
            return false;
        }
        int pnOffset = 1 + LocalConnectionId.Length;
        var app = _spaces[2];
        int sendGenerationBefore = _oneRtt.SendGeneration;
        if (!_oneRtt.TryOpen(packet, pnOffset, app.Tracker.LargestReceived, out long pn, out int headerLength, out int payloadLength))
        {
            DropPacket(PacketType.OneRtt, packet.Length, Qlog.QlogPacketDropReason.PayloadDecryptError);
            // RFC 9001 §6.6: past the integrity limit of the suite, the connection must close.
            if (_oneRtt.DecryptionFailures >= Crypto.AeadLimits.IntegrityLimit(_oneRtt.CipherSuite))
                CloseWithTransportError(TransportErrorCode.AeadLimitReached, 0, "AEAD integrity limit reached (RFC 9001 §6.6).");
            return false;
        }
        if (!PacketHeaderBits.AreReservedBitsZero(packet[0]))
        {
            CloseWithTransportError(TransportErrorCode.ProtocolViolation, 0, "Reserved header bits set (RFC 9000 §17.3.1).");
            return true;
        }
        if (_oneRtt.ReceiveGeneration != _lastReceiveGeneration)
        {
            // A key update completed (RFC 9001 §6): the previous keys go after about three PTOs.
            if (!OnReceiveKeyUpdate(pn, peerInitiated: sendGenerationBefore < _oneRtt.ReceiveGeneration)) return true;
            _lastReceiveGeneration = _oneRtt.ReceiveGeneration;
            _statKeyUpdates++;
            _discardPreviousKeysAt = _now + ThreePto();
            if (_qlog is not null) QlogKeyGenerations();
        }
        if (IsServer) DiscardZeroRttReceiveKeys(); // RFC 9001 §4.9.3
        if (_datagramFromNewHandshakeAddress) FollowHandshakeAddress(pn, app.Tracker.LargestReceived); // NAT rebinding before confirmation
        bool fresh = !app.Tracker.IsDuplicate(pn);
        _packetNonProbing = false;
        ProcessPayload(app, pn, packet.Slice(headerLength, payloadLength));
        if (fresh) AfterOneRttPacket(pn); // RFC 9000 §9.3: may move the path
        return true;
    }

    private readonly List<byte[]> _pendingOneRtt = new();
    private const int MaxPendingOneRttPackets = 8;

    /// <summary>1-RTT packets that arrived before the keys to read them, once the keys are there.</summary>
    private void ProcessPendingOneRtt()
    {
        var pending = _pendingOneRtt.ToArray();
        _pendingOneRtt.Clear();
        foreach (byte[] packet in pending)
        {
            if (_phase == ConnectionPhase.Terminated) break;
            ProcessShortPacket(packet);
        }
    }

    private void ProcessPayload(PacketSpace space, long pn, ReadOnlySpan<byte> payload) => ProcessPayload(space, pn, payload, space.Level);

    private void ProcessPayload(PacketSpace space, long pn, ReadOnlySpan<byte> payload, EncryptionLevel level)
    {
        if (space.Tracker.IsDuplicate(pn))
        {
            DropPacket(Qlog.QlogWriter.PacketTypeOf(level), _receivedPacketLength, Qlog.QlogPacketDropReason.Duplicate, pn);
            return;
        }
        if (_phase == ConnectionPhase.Closing)
        {
            OnPacketWhileClosing();
            return;
        }
        if (_phase != ConnectionPhase.Open) return;
        _statPacketsReceived++; // also the packet whose frames close the connection
        CountReceivedEcn(space); // RFC 9000 §13.4.1 (QuicConnectionCore.Ecn.cs)
        if (_qlog is not null) QlogPacketReceived(level, pn, payload);
        bool ok = ProcessFrames(space, payload, level, out bool ackEliciting);
        if (!ok && _phase != ConnectionPhase.Open) return;
        if (space.IsDiscarded) return;
        space.Tracker.OnPacketReceived(pn, ackEliciting, _now, ReceivedCe);
        ResetIdleTimer(_now);
        _ackElicitingSentSinceReceive = false;
        _lastActivity = _now;
    }

    private byte[] _retryToken = [];
    private ConnectionId? _retrySourceConnectionId;
    private readonly ConnectionId? _retriedFrom;

    /// <summary>
    /// A client's Retry (RFC 9000 §17.2.5, §8.1.2; RFC 9001 §5.8): once, before any other server packet, with a valid
    /// integrity tag and a non-empty token. The client switches to the Retry's connection ID, derives new Initial keys
    /// from it and sends its Initial data again, carrying the token.
    /// </summary>
    private void OnRetry(ReadOnlySpan<byte> packet, uint version, ReadOnlySpan<byte> sourceConnectionId, ReadOnlySpan<byte> token)
    {
        if (IsServer || version != Version || _retrySourceConnectionId is not null || _peerInitialSourceConnectionId is not null || token.IsEmpty
            || sourceConnectionId.SequenceEqual(_cids.Current.Span)
            || !Crypto.RetryIntegrity.Verify(version, _originalDestinationConnectionId.Span, packet))
        {
            DropPacket(PacketType.Retry, packet.Length, Qlog.QlogPacketDropReason.UnexpectedPacket);
            return;
        }
        var scid = new ConnectionId(sourceConnectionId);
        _retrySourceConnectionId = scid;
        _retryToken = token.ToArray();
        _cids.SetProvisionalPeer(scid);
        var initial = _spaces[0];
        initial.SendKeys?.Dispose();
        initial.ReceiveKeys?.Dispose();
        Crypto.InitialSecrets.CreateProtection(Version, scid.Span, isServer: false, out var send, out var receive);
        initial.SendKeys = send;
        initial.ReceiveKeys = receive;
        // Everything sent in Initial packets goes again under the new keys (packet numbers keep increasing, RFC 9000 §17.2.5.3).
        var crypto = initial.CryptoSend;
        if (crypto.SentOffset > crypto.AcknowledgedOffset)
            crypto.OnLost(crypto.AcknowledgedOffset, (int)(crypto.SentOffset - crypto.AcknowledgedOffset), false);
        // 0-RTT packets sent before the Retry were discarded by the server: send their data again (RFC 9000 §17.2.5.3).
        if (CanSendEarlyData) RequeueZeroRttPackets();
        _statPacketsReceived++;
        _qlog?.PacketReceived(_now, PacketType.Retry, 0, packet.Length);
    }

    /// <summary>
    /// A Version Negotiation packet for a client (RFC 9000 §6.2): ignored when it lists QUIC v1 or is not for us; otherwise
    /// no common version exists and the connection ends.
    /// </summary>
    private void OnVersionNegotiation(ReadOnlySpan<byte> packet)
    {
        if (_peerInitialSourceConnectionId is not null || !VersionNegotiationPacket.TryParse(packet, out var vn)
            || !vn.DestinationConnectionId.SequenceEqual(LocalConnectionId.Span) || vn.Contains(_originalVersion))
        {
            DropPacket(PacketType.VersionNegotiation, packet.Length, Qlog.QlogPacketDropReason.UnexpectedPacket);
            return;
        }
        _versionNegotiationVersions = new uint[vn.VersionCount];
        for (int i = 0; i < _versionNegotiationVersions.Length; i++) _versionNegotiationVersions[i] = vn.GetVersion(i);
        if (_phase == ConnectionPhase.Open)
            Emit(new ConnectionEvent { Kind = ConnectionEventKind.Closed, StreamId = -1, CloseSource = ConnectionCloseSource.VersionNegotiation,
                Reason = $"the server does not support QUIC 0x{_originalVersion:x8}; it offers {string.Join(", ", Array.ConvertAll(_versionNegotiationVersions, v => $"0x{v:x8}"))} (see VersionNegotiationVersions)" });
        Terminate();
    }

    /// <summary>RFC 9000 §8.1: before validating the client's address a server sends at most three times what it received.</summary>
    private long AmplificationBudget => _addressValidated ? long.MaxValue : 3 * _amplificationBytesReceived - _amplificationBytesSent;

    private void UpdateAmplificationState()
    {
        bool limited = !_addressValidated && AmplificationBudget < InitialDatagramPadding.MinimumDatagramSize;
        if (limited != _recovery.IsAtAntiAmplificationLimit) _recovery.SetAntiAmplificationLimited(limited, _now);
    }
}
