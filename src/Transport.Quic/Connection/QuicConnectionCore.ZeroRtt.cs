using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Parameters;
using Transport.Quic.Tls;
using Transport.Reliable;
using Transport.Reliable.Recovery;

namespace Transport.Quic.Connection;

// 0-RTT (RFC 9000 §7.4.1, RFC 9001 §4.6) and NEW_TOKEN (RFC 9000 §8.1.3).
public sealed partial class QuicConnectionCore
{
    private PacketProtection? _zeroRttSendKeys, _zeroRttReceiveKeys;
    private bool _earlyDataReported;
    private long _statZeroRttPacketsSent, _statZeroRttPacketsReceived, _statZeroRttPacketsDropped, _statZeroRttPacketsRequeued;
    private readonly List<(byte[] Packet, int PnOffset)> _pendingZeroRtt = new();
    private const int MaxPendingZeroRttPackets = 8;
    private byte[]? _newTokenToSend;
    private bool _newTokenPending;

    /// <summary>
    /// Whether early data (0-RTT) was offered and what the server decided: <see cref="TlsEarlyDataStatus.NotOffered"/>,
    /// <see cref="TlsEarlyDataStatus.Offered"/> (client, before the server answered), <see cref="TlsEarlyDataStatus.Accepted"/>
    /// or <see cref="TlsEarlyDataStatus.Rejected"/> (then the client resent its 0-RTT stream data in 1-RTT by itself).
    /// </summary>
    public TlsEarlyDataStatus EarlyDataStatus => _tls.EarlyDataStatus;

    /// <summary>
    /// Client: stream data and datagrams may be sent now in 0-RTT packets (a ticket allowing early data was offered and the
    /// handshake has not completed). Streams can be opened before the handshake completes while this is true.
    /// </summary>
    public bool CanSendEarlyData => !IsServer && _zeroRttSendKeys is not null && !_handshakeComplete;

    /// <summary>Client: the last address validation token the server gave with NEW_TOKEN (RFC 9000 §8.1.3), for <see cref="ConnectionOptions.InitialToken"/> of a later connection.</summary>
    public byte[]? ReceivedToken { get; private set; }

    /// <summary>Client, from the TLS start: the 0-RTT write secret; install the keys if the ticket's remembered parameters decode.</summary>
    private void OnZeroRttWriteSecret(CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        if (IsServer || _zeroRttSendKeys is not null) return;
        byte[]? remembered = _options.ClientTls?.SessionTicket?.TransportParameters;
        if (remembered is null || !TransportParameters.TryDecode(remembered, sentByServer: true, out var p, out _)) return;
        _zeroRttSendKeys = PacketProtection.Create(suite, secret, _originalVersion);
        // RFC 9000 §7.4.1: only these remembered values apply to 0-RTT; the rest waits for the server's real parameters.
        var limits = new TransportParameters
        {
            InitialMaxData = p.InitialMaxData,
            InitialMaxStreamDataBidiLocal = p.InitialMaxStreamDataBidiLocal,
            InitialMaxStreamDataBidiRemote = p.InitialMaxStreamDataBidiRemote,
            InitialMaxStreamDataUni = p.InitialMaxStreamDataUni,
            InitialMaxStreamsBidi = p.InitialMaxStreamsBidi,
            InitialMaxStreamsUni = p.InitialMaxStreamsUni,
            ActiveConnectionIdLimit = p.ActiveConnectionIdLimit,
            MaxDatagramFrameSize = p.MaxDatagramFrameSize,
        };
        _peerParameters = limits;
        _connectionSendCredit.OnMaxDataReceived((long)limits.InitialMaxData);
        _peerMaxStreamsBidi = (long)limits.InitialMaxStreamsBidi;
        _peerMaxStreamsUni = (long)limits.InitialMaxStreamsUni;
    }

    /// <summary>Server, with the ClientHello when TLS accepted early data: the 0-RTT read keys.</summary>
    private void OnZeroRttReadSecret(CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        if (!IsServer || _zeroRttReceiveKeys is not null) return;
        if (!RememberedLimitsHold())
        {
            // RFC 9000 §7.4.1: accepting 0-RTT with smaller limits than remembered is not allowed. The TLS filter normally
            // rejects first; should TLS have accepted anyway, the 0-RTT packets stay undecryptable and the client's loss
            // detection sends their data again in 1-RTT.
            _statZeroRttPacketsDropped += _pendingZeroRtt.Count;
            _pendingZeroRtt.Clear();
            return;
        }
        _zeroRttReceiveKeys = PacketProtection.Create(suite, secret, _originalVersion);
    }

    /// <summary>
    /// Server with early data enabled: a copy of the TLS options whose <see cref="TlsServerOptions.EarlyDataFilter"/> also
    /// refuses 0-RTT when the limits remembered in the ticket exceed this connection's (RFC 9000 §7.4.1), so TLS rejects
    /// it and the client resends in 1-RTT. The application's own filter sees the same ticket data afterwards.
    /// </summary>
    private TlsServerOptions ServerTlsWithLimitCheck(TlsServerOptions o)
    {
        if (!o.EnableEarlyData) return o;
        Func<ReadOnlyMemory<byte>, bool>? inner = o.EarlyDataFilter;
        return new TlsServerOptions
        {
            ServerCertificate = o.ServerCertificate, ServerCertificateSelector = o.ServerCertificateSelector,
            ServerCertificateChain = o.ServerCertificateChain, ApplicationProtocols = o.ApplicationProtocols,
            CipherSuites = o.CipherSuites, Groups = o.Groups, SessionTicketKeys = o.SessionTicketKeys,
            SessionTicketLifetime = o.SessionTicketLifetime, EnableEarlyData = true,
            EarlyDataFilter = data => LimitsHold(data.Span) && (inner is null || inner(data)),
            MaxTicketAgeSkew = o.MaxTicketAgeSkew, ReplayCache = o.ReplayCache, KeyLog = o.KeyLog,
            TimeProvider = o.TimeProvider, EnforceQuicRules = o.EnforceQuicRules,
        };
    }

    /// <summary>Server: the limits sealed into the ticket (<see cref="EncodeTicketLimits"/>) are not above the current ones.</summary>
    private bool RememberedLimitsHold() =>
        _tls is not TlsServerHandshake server || server.ResumedTicketApplicationData is not { } data || LimitsHold(data);

    private bool LimitsHold(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        Span<ulong> current = stackalloc ulong[8];
        FillTicketLimits(current);
        for (int i = 0; i < current.Length; i++)
        {
            if (!r.TryReadVarInt(out ulong remembered)) return data.Length == 0;
            if (remembered > current[i]) return false;
        }
        return true;
    }

    private void FillTicketLimits(Span<ulong> v)
    {
        var p = _localParameters;
        v[0] = p.InitialMaxData;
        v[1] = p.InitialMaxStreamDataBidiLocal;
        v[2] = p.InitialMaxStreamDataBidiRemote;
        v[3] = p.InitialMaxStreamDataUni;
        v[4] = p.InitialMaxStreamsBidi;
        v[5] = p.InitialMaxStreamsUni;
        v[6] = p.ActiveConnectionIdLimit;
        v[7] = p.MaxDatagramFrameSize ?? 0;
    }

    /// <summary>Server: the 0-RTT limits this server advertises, sealed into its tickets to check them on resumption.</summary>
    private byte[] EncodeTicketLimits()
    {
        Span<ulong> v = stackalloc ulong[8];
        FillTicketLimits(v);
        var bytes = new byte[8 * 8];
        var w = new SpanWriter(bytes);
        foreach (ulong x in v) w.WriteVarInt(x);
        return bytes.AsSpan(0, w.Position).ToArray();
    }

    /// <summary>Server: a 0-RTT packet (RFC 9001 §5.6): processed with the 0-RTT keys in the application data space.</summary>
    private bool ProcessZeroRttPacket(Span<byte> packet, int pnOffset)
    {
        _receivedPacketLength = packet.Length;
        if (!IsServer || _zeroRttReceiveOver)
        {
            DropPacket(Packets.PacketType.ZeroRtt, packet.Length, Qlog.QlogPacketDropReason.UnexpectedPacket);
            _statZeroRttPacketsDropped++;
            return false;
        }
        if (_zeroRttReceiveKeys is null)
        {
            // Keys may follow once the ClientHello is processed: keep a few packets (RFC 9001 §5.7, RFC 9000 §5.2).
            if (_tls.EarlyDataStatus is TlsEarlyDataStatus.NotOffered && _peerParameters is null && _pendingZeroRtt.Count < MaxPendingZeroRttPackets)
            {
                _pendingZeroRtt.Add((packet.ToArray(), pnOffset));
                _qlog?.PacketBuffered(_now, Packets.PacketType.ZeroRtt, packet.Length);
            }
            else
            {
                DropPacket(Packets.PacketType.ZeroRtt, packet.Length, Qlog.QlogPacketDropReason.KeyUnavailable);
                _statZeroRttPacketsDropped++;
            }
            return false;
        }
        var app = _spaces[2];
        if (!_zeroRttReceiveKeys.TryOpen(packet, pnOffset, app.Tracker.LargestReceived, out long pn, out int headerLength, out int payloadLength))
        {
            DropPacket(Packets.PacketType.ZeroRtt, packet.Length, Qlog.QlogPacketDropReason.PayloadDecryptError);
            _statZeroRttPacketsDropped++;
            return false;
        }
        if (!Packets.PacketHeaderBits.AreReservedBitsZero(packet[0]))
        {
            CloseWithTransportError(TransportErrorCode.ProtocolViolation, 0, "Reserved header bits set (RFC 9000 §17.2).");
            return true;
        }
        _statZeroRttPacketsReceived++;
        ProcessPayload(app, pn, packet.Slice(headerLength, payloadLength), EncryptionLevel.ZeroRtt);
        return true;
    }

    private bool _zeroRttReceiveOver;

    /// <summary>Server: 0-RTT packets that arrived before their keys, once the ClientHello was processed.</summary>
    private void ProcessPendingZeroRtt()
    {
        if (_pendingZeroRtt.Count == 0 || _tls.EarlyDataStatus == TlsEarlyDataStatus.NotOffered && _peerParameters is null) return;
        var pending = _pendingZeroRtt.ToArray();
        _pendingZeroRtt.Clear();
        foreach (var (packet, pnOffset) in pending)
        {
            if (_zeroRttReceiveKeys is null)
            {
                DropPacket(Packets.PacketType.ZeroRtt, packet.Length, Qlog.QlogPacketDropReason.KeyUnavailable);
                _statZeroRttPacketsDropped++;
                continue;
            }
            ProcessZeroRttPacket(packet, pnOffset);
        }
    }

    /// <summary>Server: RFC 9001 §4.9.3: 0-RTT keys go once a 1-RTT packet arrived.</summary>
    private void DiscardZeroRttReceiveKeys()
    {
        if (_zeroRttReceiveKeys is null && _zeroRttReceiveOver) return;
        _zeroRttReceiveOver = true;
        _zeroRttReceiveKeys?.Dispose();
        _zeroRttReceiveKeys = null;
        _pendingZeroRtt.Clear();
    }

    /// <summary>
    /// Client, when the handshake completes: no more 0-RTT (RFC 9001 §4.9.3). When the server rejected early data,
    /// every 0-RTT packet counts as lost and its stream data is queued again for 1-RTT (RFC 9001 §4.6.2).
    /// </summary>
    private void OnClientHandshakeCompleteZeroRtt()
    {
        bool offered = _zeroRttSendKeys is not null;
        _zeroRttSendKeys?.Dispose();
        _zeroRttSendKeys = null;
        if (!offered || _earlyDataReported) return;
        _earlyDataReported = true;
        if (_tls.EarlyDataStatus == TlsEarlyDataStatus.Rejected)
        {
            RequeueZeroRttPackets();
            Emit(ConnectionEventKind.EarlyDataRejected);
        }
        else if (_tls.EarlyDataStatus == TlsEarlyDataStatus.Accepted)
        {
            Emit(ConnectionEventKind.EarlyDataAccepted);
        }
    }

    /// <summary>
    /// Client: every outstanding 0-RTT packet counts as lost now (rejected early data, RFC 9001 §4.6.2, or a Retry, RFC
    /// 9000 §17.2.5.3): its contents are queued again, and its later loss declaration requeues nothing more.
    /// </summary>
    private void RequeueZeroRttPackets()
    {
        int tracked = _recovery.GetTrackedPacketCount(PacketNumberSpace.ApplicationData);
        if (tracked == 0) return;
        var outstanding = new SentPacket[tracked];
        int count = _recovery.CopyOutstandingPackets(PacketNumberSpace.ApplicationData, outstanding);
        for (int i = 0; i < count; i++)
        {
            if (outstanding[i].Payload is SentPacketInfo info && info.ZeroRtt && !info.Abandoned)
            {
                RequeueContents(info);
                info.Abandoned = true;
                _statZeroRttPacketsRequeued++;
            }
        }
    }

    /// <summary>Server, at handshake completion: an address validation token for the client's next connection (RFC 9000 §8.1.3).</summary>
    private void QueueNewToken()
    {
        if (!IsServer || _options.NewTokenProvider is not { } provider) return;
        byte[]? token = provider(RemoteEndPoint);
        if (token is null || token.Length == 0) return;
        _newTokenToSend = token;
        _newTokenPending = true;
    }

    private void WriteNewToken(ref SpanWriter w, SentPacketInfo info)
    {
        if (!_newTokenPending || _newTokenToSend is null) return;
        if (!Frames.FrameWriter.TryWrite(ref w, new Frames.NewTokenFrame(_newTokenToSend))) return;
        _newTokenPending = false;
        info.Add(new SentFrame { Kind = SentFrameKind.NewToken });
    }

    private bool OnNewTokenFrame(ReadOnlySpan<byte> token)
    {
        // RFC 9000 §19.7: a server receiving NEW_TOKEN is a PROTOCOL_VIOLATION (the frame reader already refuses it).
        if (IsServer) return true;
        ReceivedToken = token.ToArray();
        Emit(new ConnectionEvent { Kind = ConnectionEventKind.NewTokenReceived, StreamId = -1, Data = ReceivedToken });
        return true;
    }
}
