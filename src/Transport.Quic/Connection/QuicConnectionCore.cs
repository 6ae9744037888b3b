using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;
using Transport.Quic.Qlog;
using Transport.Quic.Tls;
using Transport.Reliable;
using Transport.Reliable.Congestion;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Recovery;

namespace Transport.Quic.Connection;

/// <summary>
/// A sans-I/O QUIC v1 connection (RFC 9000, 9001, 9002, 9221): no socket, no timer, no task. Datagrams come in through
/// <see cref="HandleDatagram"/>, go out through <see cref="PollTransmit"/>; <see cref="NextTimeout"/> says when to call
/// <see cref="HandleTimeout"/>; what happened is read with <see cref="PollEvent"/>. Time is only what the caller passes.
/// Not thread-safe: one caller at a time.
/// </summary>
/// <remarks>
/// The class is split by concern over several files: this one routes; <c>.Receive</c> opens packets, <c>.Frames</c>
/// handles frames, <c>.Send</c> builds packets, <c>.Recovery</c> acts on acknowledgments, losses and probes,
/// <c>.Tls</c> talks to the handshake, <c>.Streams</c> and <c>.FlowControl</c> hold stream state, <c>.Close</c> the
/// closing, draining and idle rules, <c>.Timers</c> the deadlines, <c>.ConnectionIds</c> the connection IDs,
/// <c>.Paths</c> path validation and migration, and <c>.Statistics</c> the counters.
/// </remarks>
public sealed partial class QuicConnectionCore : ITlsHandshakeListener, IDisposable
{
    private const int TagLength = PacketProtection.TagLength;

    private readonly ConnectionOptions _options;
    private readonly TlsHandshake _tls;
    private readonly PacketSpace[] _spaces = new PacketSpace[3];
    private readonly LossDetector _recovery;
    private readonly Pacer _pacer;
    private readonly SentPacketInfoPool _infoPool = new();
    private readonly Queue<ConnectionEvent> _events = new();
    private readonly ConnectionIdManager _cids;
    private readonly TransportParameters _localParameters;
    private readonly ConnectionId _originalDestinationConnectionId;
    private OneRttKeys? _oneRtt;
    private byte[]? _oneRttSendSecret, _oneRttReceiveSecret;
    private CipherSuite _oneRttSuite;
    private TransportParameters? _peerParameters;
    private ConnectionId? _peerInitialSourceConnectionId;
    private bool _handshakeComplete;
    private bool _handshakeConfirmed;
    private bool _handshakeDonePending;
    private bool _addressValidated;
    private bool _discardInitialPending;
    private bool _discardHandshakePending;
    private int _maxDatagramSize;
    private Instant _now;

    private QuicConnectionCore(ConnectionOptions options, bool isServer, IPEndPoint remote, ConnectionId originalDcid,
        ConnectionId? localConnectionId, Instant now, ConnectionId? retriedFrom = null,
        IQlogWriterFactory? endpointQlog = null, Action<string>? endpointKeyLog = null)
    {
        _retriedFrom = retriedFrom;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(remote);
        options.Validate(isServer);
        _options = options;
        IsServer = isServer;
        RemoteEndPoint = remote;
        _now = now;
        _originalDestinationConnectionId = originalDcid;
        _maxDatagramSize = options.MaxDatagramSize;

        _spaces[0] = new PacketSpace(PacketNumberSpace.Initial, EncryptionLevel.Initial, TimeSpan.Zero);
        _spaces[1] = new PacketSpace(PacketNumberSpace.Handshake, EncryptionLevel.Handshake, TimeSpan.Zero);
        _spaces[2] = new PacketSpace(PacketNumberSpace.ApplicationData, EncryptionLevel.OneRtt, options.MaxAckDelay);
        InitializeVersions(options, isServer); // QuicConnectionCore.Versions.cs
        InitialSecrets.CreateProtection(Version, originalDcid.Span, isServer, out var initialSend, out var initialReceive);
        _spaces[0].SendKeys = initialSend;
        _spaces[0].ReceiveKeys = initialReceive;

        var factory = options.CongestionControllerFactory ?? CongestionControllerFactory.For(options.CongestionControl);
        _recovery = new LossDetector(factory.Create(_maxDatagramSize), isServer, options.InitialRtt);
        _pacer = new Pacer(_maxDatagramSize);
        _addressValidated = !isServer || retriedFrom is not null; // RFC 9000 §8.1: a Retry token validated it already

        _cids = new ConnectionIdManager(options.ConnectionIdLength, options.ConnectionIdGenerator, options.StatelessResetTokenGenerator);
        var initialLocal = _cids.AddInitialLocal(localConnectionId ?? options.ConnectionIdGenerator?.Invoke() ?? ConnectionId.NewRandom(options.ConnectionIdLength));
        if (!isServer) _cids.SetProvisionalPeer(originalDcid);

        _localParameters = BuildLocalParameters(initialLocal);
        InitializeFlowControl();
        ResetIdleTimer(now);
        _qlog = StartQlog(options.Qlog ?? endpointQlog, now);
        Action<string>? keyLog = options.KeyLog ?? (isServer ? options.ServerTls!.KeyLog : options.ClientTls!.KeyLog) ?? endpointKeyLog;

        byte[] encoded = _localParameters.Encode();
        if (isServer)
        {
            // RFC 9000 §7.4.1: the 0-RTT limits go into tickets, to refuse 0-RTT keys if they shrank since.
            _tls = new TlsServerHandshake(ServerTlsWithLimitCheck(options.ServerTls!), encoded, this, keyLog) { TicketApplicationData = EncodeTicketLimits() };
        }
        else
        {
            if (options.InitialToken is { Length: > 0 } initialToken) _retryToken = initialToken.ToArray(); // RFC 9000 §8.1.3
            var client = new TlsClientHandshake(options.ClientTls!, encoded, this, keyLog);
            _tls = client;
            TlsResult r = client.Start();
            if (r.IsError)
            {
                _qlog?.Dispose();
                throw new InvalidOperationException($"The TLS handshake could not start: {r}");
            }
        }
    }

    /// <summary>
    /// Creates a client connection to <paramref name="remote"/>: a random Destination Connection ID of 8 bytes (RFC 9000
    /// §7.2) and a ClientHello ready to send at the first <see cref="PollTransmit"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options (the message says which).</exception>
    public static QuicConnectionCore CreateClient(ConnectionOptions options, IPEndPoint remote, Instant now) =>
        CreateClient(options, remote, now, null, null);

    /// <summary>
    /// Creates a server connection for a client's first Initial packet. The endpoint passes the Destination Connection ID
    /// of that packet (<paramref name="originalDestinationConnectionId"/>, at least 8 bytes) and then the datagram itself
    /// to <see cref="HandleDatagram"/>. <paramref name="localConnectionId"/> is the server's chosen connection ID (null:
    /// generated); the endpoint routes both IDs to this connection until the handshake completes.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options, or a Destination Connection ID under 8 bytes (RFC 9000 §7.2).</exception>
    /// <param name="options">The server's options (<see cref="ConnectionOptions.ServerTls"/> required).</param>
    /// <param name="remote">The client's address.</param>
    /// <param name="originalDestinationConnectionId">The Destination Connection ID of the client's Initial packet: it keys the Initial packets.</param>
    /// <param name="now">The current time.</param>
    /// <param name="localConnectionId">The server's connection ID (null: generated).</param>
    /// <param name="retriedFrom">
    /// When the endpoint sent a Retry and this Initial carried its valid token: the client's very first Destination
    /// Connection ID, recovered from the token. Then <paramref name="originalDestinationConnectionId"/> is the Retry's
    /// Source Connection ID, the client's address counts as validated, and the transport parameters carry both IDs
    /// (RFC 9000 §7.3, §8.1.2).
    /// </param>
    public static QuicConnectionCore CreateServer(ConnectionOptions options, IPEndPoint remote, ConnectionId originalDestinationConnectionId,
        Instant now, ConnectionId? localConnectionId = null, ConnectionId? retriedFrom = null) =>
        CreateServer(options, remote, originalDestinationConnectionId, now, localConnectionId, retriedFrom, null, null);

    /// <summary>The endpoint's creation of a client: its qlog directory and key log apply when the options name none.</summary>
    internal static QuicConnectionCore CreateClient(ConnectionOptions options, IPEndPoint remote, Instant now,
        IQlogWriterFactory? endpointQlog, Action<string>? endpointKeyLog) =>
        new(options, isServer: false, remote, ConnectionId.NewRandom(8), null, now, null, endpointQlog, endpointKeyLog);

    /// <summary>The endpoint's creation of a server connection (see the public overload), with its qlog directory and key log.</summary>
    internal static QuicConnectionCore CreateServer(ConnectionOptions options, IPEndPoint remote, ConnectionId originalDestinationConnectionId,
        Instant now, ConnectionId? localConnectionId, ConnectionId? retriedFrom, IQlogWriterFactory? endpointQlog, Action<string>? endpointKeyLog)
    {
        if (originalDestinationConnectionId.Length < (retriedFrom is null ? 8 : 1))
            throw new ArgumentException("A client's first Destination Connection ID is at least 8 bytes (RFC 9000 §7.2).", nameof(originalDestinationConnectionId));
        return new(options, isServer: true, remote, originalDestinationConnectionId, localConnectionId, now, retriedFrom, endpointQlog, endpointKeyLog);
    }

    /// <summary>True for the server side.</summary>
    public bool IsServer { get; }

    /// <summary>The peer's address (where <see cref="PollTransmit"/> sends).</summary>
    public IPEndPoint RemoteEndPoint { get; private set; }

    /// <summary>The TLS handshake completed (<see cref="ConnectionEventKind.HandshakeCompleted"/>).</summary>
    public bool IsHandshakeComplete => _handshakeComplete;

    /// <summary>The handshake is confirmed (RFC 9001 §4.1.2).</summary>
    public bool IsHandshakeConfirmed => _handshakeConfirmed;

    /// <summary>The ALPN protocol negotiated (empty until the handshake says).</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol => _tls.NegotiatedApplicationProtocol;

    /// <summary>The server's certificate (client side, once received).</summary>
    public X509Certificate2? PeerCertificate => _tls.PeerCertificate;

    /// <summary>The peer's transport parameters, once received and validated.</summary>
    public TransportParameters? PeerTransportParameters => _peerParameters;

    /// <summary>The transport parameters this endpoint sent.</summary>
    public TransportParameters LocalTransportParameters => _localParameters;

    /// <summary>The Destination Connection ID of the client's first Initial packet (RFC 9000 §7.3).</summary>
    public ConnectionId OriginalDestinationConnectionId => _originalDestinationConnectionId;

    /// <summary>The connection ID this endpoint chose first (the Source Connection ID of its long headers).</summary>
    public ConnectionId LocalConnectionId => _cids.Local.Count > 0 ? _cids.Local[0].Id : default;

    /// <summary>The connection IDs this endpoint issued and the peer has not retired (the endpoint routes all of them here).</summary>
    public IReadOnlyList<ConnectionId> ActiveLocalConnectionIds
    {
        get
        {
            var list = new List<ConnectionId>(_cids.LocalCount);
            foreach (var l in _cids.Local) list.Add(l.Id);
            return list;
        }
    }

    /// <summary>The Destination Connection ID this endpoint currently sends with.</summary>
    public ConnectionId RemoteConnectionId => _cids.Current;

    /// <summary>The last session ticket the server sent (client side), for resumption on a later connection.</summary>
    public TlsSessionTicket? SessionTicket { get; private set; }

    internal bool IsAddressValidated => _addressValidated;

    /// <summary>The largest UDP payload this connection sends now: <see cref="ConnectionOptions.MaxDatagramSize"/> capped by the peer's max_udp_payload_size.</summary>
    public int MaxDatagramSize => _maxDatagramSize;

    /// <summary>Takes the next event; false when none is waiting.</summary>
    public bool PollEvent(out ConnectionEvent connectionEvent)
    {
        if (_events.TryDequeue(out connectionEvent)) return true;
        if (!_eventQueueTrimmed && IsHandshakeConfirmed)
        {
            // The handshake's burst of events (keys, parameters, tickets, CIDs) grew the queue to 16 slots; an idle
            // connection keeps about 0.6 KiB less when it gives them back once (steady-state traffic regrows it once).
            _events.TrimExcess();
            _eventQueueTrimmed = true;
        }
        return false;
    }

    private bool _eventQueueTrimmed;

    /// <summary>Releases keys and buffers. The connection must not be used afterwards.</summary>
    public void Dispose()
    {
        foreach (var s in _spaces) s.Dispose();
        _oneRtt?.Dispose();
        _zeroRttSendKeys?.Dispose();
        _zeroRttReceiveKeys?.Dispose();
        DisposeVersionKeys();
        _tls.Dispose();
        _qlog?.Dispose();
        foreach (var stream in _streams.Values)
        {
            stream.Send?.Dispose();
            stream.Receive?.Dispose();
        }
    }

    private void Emit(ConnectionEventKind kind, long streamId = -1, ulong errorCode = 0) =>
        Emit(new ConnectionEvent { Kind = kind, StreamId = streamId, ErrorCode = errorCode });

    private void Emit(in ConnectionEvent e)
    {
        _events.Enqueue(e);
        if (_qlog is not null && e.Kind is ConnectionEventKind.Closed or ConnectionEventKind.Terminated) QlogConnectionEvent(e);
    }

    private PacketSpace SpaceOf(EncryptionLevel level) => level switch
    {
        EncryptionLevel.Initial => _spaces[0],
        EncryptionLevel.Handshake => _spaces[1],
        _ => _spaces[2],
    };

    private void Touch(Instant now)
    {
        if (now > _now) _now = now;
    }

    private TransportParameters BuildLocalParameters(ConnectionIdManager.LocalId initialLocal)
    {
        var o = _options;
        var p = new TransportParameters
        {
            MaxIdleTimeoutMs = (ulong)o.IdleTimeout.TotalMilliseconds,
            InitialMaxData = (ulong)o.InitialMaxData,
            InitialMaxStreamDataBidiLocal = (ulong)o.InitialMaxStreamData,
            InitialMaxStreamDataBidiRemote = (ulong)o.InitialMaxStreamData,
            InitialMaxStreamDataUni = (ulong)o.InitialMaxStreamData,
            InitialMaxStreamsBidi = (ulong)o.MaxBidirectionalStreams,
            InitialMaxStreamsUni = (ulong)o.MaxUnidirectionalStreams,
            AckDelayExponent = o.AckDelayExponent,
            MaxAckDelayMs = (ulong)o.MaxAckDelay.TotalMilliseconds,
            ActiveConnectionIdLimit = (ulong)o.ActiveConnectionIdLimit,
            InitialSourceConnectionId = initialLocal.Id,
            MaxDatagramFrameSize = o.MaxDatagramFrameSize is { } d ? (ulong)d : null,
            DisableActiveMigration = o.DisableActiveMigration,
            VersionInformation = LocalVersionInformation(), // RFC 9368 §3, RFC 9369 §4
        };
        if (o.AdvertisedMaxUdpPayloadSize is { } maxUdp) p.MaxUdpPayloadSize = (ulong)maxUdp;
        if (IsServer)
        {
            p.OriginalDestinationConnectionId = _retriedFrom ?? _originalDestinationConnectionId;
            if (_retriedFrom is not null) p.RetrySourceConnectionId = _originalDestinationConnectionId;
            p.StatelessResetToken = initialLocal.Token;
            p.PreferredAddress = BuildPreferredAddress(); // QuicConnectionCore.Paths.cs
        }
        return p;
    }
}
