using Transport.Quic.Parameters;
using Transport.Quic.Qlog;
using Transport.Core.Wire;
using Transport.Quic.Tls;
using Transport.Reliable.Congestion;

namespace Transport.Quic.Connection;

/// <summary>
/// Settings of one QUIC connection: TLS, the transport parameters this endpoint advertises (RFC 9000 §18.2), congestion
/// control and a few policies. ALPN lives in the TLS options (<see cref="TlsClientOptions.ApplicationProtocols"/>,
/// <see cref="TlsServerOptions.ApplicationProtocols"/>). One instance may serve many connections; it is read when a
/// connection is created.
/// </summary>
public sealed class ConnectionOptions
{
    /// <summary>TLS settings of a client connection (required for clients).</summary>
    public TlsClientOptions? ClientTls { get; set; }

    /// <summary>TLS settings of a server connection (required for servers).</summary>
    public TlsServerOptions? ServerTls { get; set; }

    /// <summary>initial_max_data: the connection-level receive window first advertised. Default 4 MiB.</summary>
    public long InitialMaxData { get; set; } = 4 << 20;

    /// <summary>The largest the connection-level receive window may grow to by auto-tuning. Default 24 MiB.</summary>
    public long MaxReceiveWindow { get; set; } = 24 << 20;

    /// <summary>initial_max_stream_data_bidi_local, _bidi_remote and _uni: the per-stream receive window first advertised. Default 1 MiB.</summary>
    public long InitialMaxStreamData { get; set; } = 1 << 20;

    /// <summary>The largest a stream's receive window may grow to by auto-tuning. Default 16 MiB.</summary>
    public long MaxStreamReceiveWindow { get; set; } = 16 << 20;

    /// <summary>initial_max_streams_bidi: bidirectional streams the peer may open at once. Default 100.</summary>
    public int MaxBidirectionalStreams { get; set; } = 100;

    /// <summary>initial_max_streams_uni: unidirectional streams the peer may open at once. Default 100.</summary>
    public int MaxUnidirectionalStreams { get; set; } = 100;

    /// <summary>max_idle_timeout; zero disables this side's idle timeout. Default 30 s.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>max_ack_delay: how long this endpoint may delay acknowledgments. Default 25 ms.</summary>
    public TimeSpan MaxAckDelay { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>ack_delay_exponent (0 to 20). Default 3.</summary>
    public int AckDelayExponent { get; set; } = TransportParameters.DefaultAckDelayExponent;

    /// <summary>max_datagram_frame_size (RFC 9221 §3): null disables receiving DATAGRAM frames. Default 65535.</summary>
    public int? MaxDatagramFrameSize { get; set; } = 65535;

    /// <summary>active_connection_id_limit: how many connection IDs of the peer this endpoint stores (at least 2). Default 4.</summary>
    public int ActiveConnectionIdLimit { get; set; } = 4;

    /// <summary>The length of the connection IDs this endpoint issues (4 to 20). Default 8.</summary>
    public int ConnectionIdLength { get; set; } = 8;

    /// <summary>Makes the connection IDs this endpoint issues (the endpoint may encode routing in them); null: random.</summary>
    public Func<ConnectionId>? ConnectionIdGenerator { get; set; }

    /// <summary>Makes the stateless reset token of an issued connection ID (the endpoint may derive it from a key); null: random.</summary>
    public Func<ConnectionId, byte[]>? StatelessResetTokenGenerator { get; set; }

    /// <summary>
    /// The largest UDP payload this endpoint sends from the start (1200 to 65527; the peer's max_udp_payload_size also caps
    /// it): a size known to fit the path, BASE_PLPMTU in RFC 8899's words. Initial packets are padded to 1200 bytes whatever
    /// this is. With <see cref="EnablePathMtuDiscovery"/> the connection may grow its datagrams beyond it once the handshake
    /// is confirmed, and falls back to it when larger packets stop getting through. Default 1200.
    /// </summary>
    public int MaxDatagramSize { get; set; } = 1200;

    /// <summary>
    /// Datagram Packetization Layer PMTU Discovery (RFC 8899, RFC 9000 §14.3): once the handshake is confirmed, and on a
    /// validated path, send PING+PADDING probes of growing sizes (one at a time, within the congestion window) and use
    /// a size for all packets once a probe of it is acknowledged. A lost probe is no congestion signal (RFC 9000 §14.4);
    /// three lost probes of one size end the search below it, which starts again upward after 600 s. Repeated losses of
    /// packets above <see cref="MaxDatagramSize"/> (a PMTU black hole) drop back to <see cref="MaxDatagramSize"/> and
    /// search again; so does a move to a new path. Probes never exceed <see cref="MaxPathMtuDiscoverySize"/>, the peer's
    /// max_udp_payload_size, nor the local route's limit the driver reports. Default true.
    /// </summary>
    public bool EnablePathMtuDiscovery { get; set; } = true;

    /// <summary>
    /// The largest UDP payload a path MTU probe may have (<see cref="MaxDatagramSize"/> to 65527). Default 65527 (what a
    /// loopback interface carries; the driver's route limit and the peer's max_udp_payload_size usually cap it lower).
    /// </summary>
    public int MaxPathMtuDiscoverySize { get; set; } = 65527;

    /// <summary>A built-in congestion controller. Default CUBIC.</summary>
    public CongestionControlAlgorithm CongestionControl { get; set; } = CongestionControlAlgorithm.Cubic;

    /// <summary>A congestion controller of your own; when set it wins over <see cref="CongestionControl"/>.</summary>
    public ICongestionControllerFactory? CongestionControllerFactory { get; set; }

    /// <summary>The RTT assumed before the first sample (RFC 9002 §6.2.2). Default 333 ms.</summary>
    public TimeSpan InitialRtt { get; set; } = TimeSpan.FromMilliseconds(333);

    /// <summary>Send a PING when nothing was sent or received for this long (keeps NATs and the idle timer alive); null: never.</summary>
    public TimeSpan? KeepAliveInterval { get; set; }

    /// <summary>Initiate a 1-RTT key update after this many packets sent with the current keys (RFC 9001 §6); 0: only when the AEAD limit nears.</summary>
    public long KeyUpdateIntervalPackets { get; set; }

    /// <summary>How many outgoing datagrams (RFC 9221) may wait; when full the oldest is dropped. Default 64.</summary>
    public int DatagramSendQueueCapacity { get; set; } = 64;

    /// <summary>How far ahead of the pacer's release time a datagram may be handed out (see <see cref="TransmitInfo.EarliestSendTime"/>). Default 1 ms.</summary>
    public TimeSpan PacingHorizon { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Sends disable_active_migration (RFC 9000 §18.2): the peer must not move the connection to another local address.
    /// A server that sets it still follows a client whose address changed under a NAT (RFC 9000 §9). Default false.
    /// </summary>
    public bool DisableActiveMigration { get; set; }

    /// <summary>
    /// Server: the IPv4 address of preferred_address (RFC 9000 §9.6, §18.2); null: none. With this or
    /// <see cref="PreferredAddressIPv6"/> set, each connection issues a connection ID of sequence number 1 for the
    /// preferred address (RFC 9000 §5.1.1) and accepts datagrams there (<see cref="QuicConnectionCore.HandleDatagramAt"/>
    /// with this local address); it then sends from there once the client moved. The driver must receive on it.
    /// </summary>
    public System.Net.IPEndPoint? PreferredAddressIPv4 { get; set; }

    /// <summary>Server: the IPv6 address of preferred_address (RFC 9000 §9.6, §18.2); null: none. See <see cref="PreferredAddressIPv4"/>.</summary>
    public System.Net.IPEndPoint? PreferredAddressIPv6 { get; set; }

    /// <summary>
    /// Client: when the server sent preferred_address, validate the address of the current path's family once the
    /// handshake is confirmed and move there on success (RFC 9000 §9.6); on failure the connection stays on the original
    /// path. From the same local socket, so the driver needs nothing new. Default true (as msquic and ngtcp2).
    /// </summary>
    public bool FollowPreferredAddress { get; set; } = true;

    /// <summary>
    /// Use ECN (RFC 9000 §13.4): count the codepoints of received datagrams (passed with
    /// <see cref="QuicConnectionCore.HandleDatagramWithEcn"/>)
    /// and echo them in ACK_ECN frames; ask for ECT(0) on sent datagrams (<see cref="TransmitInfo.Ecn"/>) while the path is
    /// being tested or validated, and stop when validation fails (<see cref="QuicConnectionCore.EcnState"/>). Default true,
    /// as in ngtcp2, quinn and quic-go (msquic defaults off): a path that bleaches or drops the marks costs at most the 10
    /// testing packets before marking stops for good (RFC 9000 §13.4.2); the counts of received marks are echoed either
    /// way (§13.4.1). The public API's sockets mark per datagram and read the TOS byte on Linux only.
    /// </summary>
    public bool EnableEcn { get; set; } = true;

    /// <summary>
    /// The QUIC versions this endpoint speaks, most preferred first (RFC 9368): QUIC v1 (0x00000001) and QUIC v2
    /// (0x6b3343cf, RFC 9369). A client sends its first Initial in <c>Versions[0]</c> and offers the whole list in
    /// version_information; a server switches to the first of its list that the client offers (compatible version
    /// negotiation, no extra round trip). Default v1 then v2: a v1 client stays on v1, a client that prefers v2 gets it.
    /// </summary>
    public uint[] Versions { get; set; } = [Packets.QuicVersion.Version1, Packets.QuicVersion.Version2];

    /// <summary>
    /// Server: makes the address validation token sent to the client with NEW_TOKEN once the handshake completes (RFC 9000
    /// §8.1.3), given the client's address; null (or a null/empty result): no NEW_TOKEN.
    /// </summary>
    public Func<System.Net.IPEndPoint, byte[]?>? NewTokenProvider { get; set; }

    /// <summary>
    /// Client: a token the server gave on an earlier connection (NEW_TOKEN, see <see cref="QuicConnectionCore.ReceivedToken"/>),
    /// carried in the Initial packets (RFC 9000 §8.1.3, §17.2.2); a Retry's token replaces it. Null: none.
    /// </summary>
    public byte[]? InitialToken { get; set; }

    /// <summary>
    /// Makes this connection's qlog trace (draft-ietf-quic-qlog, qlog 0.3 JSON-SEQ, for qvis): packets sent, received,
    /// dropped and lost with their frames, recovery metrics, congestion states, keys, parameters, close. Null (default):
    /// no qlog, at the cost of one null check per event site. <see cref="QlogFileFactory"/> writes
    /// <c>&lt;odcid&gt;_&lt;client|server&gt;.sqlog</c> files into a directory; an endpoint's
    /// <see cref="Endpoint.QuicEndpointOptions.QlogDirectory"/> applies to connections whose options leave this null. Logging
    /// never breaks the connection: a write error disables the trace (see <see cref="QuicConnectionCore.QlogFailure"/>).
    /// </summary>
    public IQlogWriterFactory? Qlog { get; set; }

    /// <summary>
    /// Receives this connection's TLS secrets as NSS key log lines (the SSLKEYLOGFILE format Wireshark reads:
    /// <c>CLIENT_HANDSHAKE_TRAFFIC_SECRET &lt;client_random hex&gt; &lt;secret hex&gt;</c>, and
    /// <c>SERVER_HANDSHAKE_TRAFFIC_SECRET</c>, <c>CLIENT_TRAFFIC_SECRET_0</c>, <c>SERVER_TRAFFIC_SECRET_0</c>,
    /// <c>CLIENT_EARLY_TRAFFIC_SECRET</c>). <see cref="TlsKeyLog.ToFile"/> appends to a file,
    /// <see cref="TlsKeyLog.ToWriter"/> to a <see cref="TextWriter"/>. When null (default) the TLS options' own
    /// <see cref="TlsClientOptions.KeyLog"/> / <see cref="TlsServerOptions.KeyLog"/> is used, then the endpoint's
    /// <see cref="Endpoint.QuicEndpointOptions.KeyLogFile"/>. Anyone holding the log can decrypt the connection.
    /// </summary>
    public Action<string>? KeyLog { get; set; }

    internal void Validate(bool isServer)
    {
        if (isServer)
        {
            if (ServerTls is null) throw new ArgumentException("A server connection needs ServerTls.", nameof(ServerTls));
            ServerTls.Validate();
        }
        else
        {
            if (ClientTls is null) throw new ArgumentException("A client connection needs ClientTls.", nameof(ClientTls));
            ClientTls.Validate();
        }
        if (InitialMaxData < 0 || MaxReceiveWindow < InitialMaxData) throw new ArgumentException("InitialMaxData must be >= 0 and <= MaxReceiveWindow.", nameof(InitialMaxData));
        if (InitialMaxStreamData < 0 || MaxStreamReceiveWindow < InitialMaxStreamData) throw new ArgumentException("InitialMaxStreamData must be >= 0 and <= MaxStreamReceiveWindow.", nameof(InitialMaxStreamData));
        if (MaxBidirectionalStreams < 0 || MaxUnidirectionalStreams < 0) throw new ArgumentException("Stream limits cannot be negative.", nameof(MaxBidirectionalStreams));
        if (IdleTimeout < TimeSpan.Zero) throw new ArgumentException("IdleTimeout cannot be negative.", nameof(IdleTimeout));
        if (MaxAckDelay < TimeSpan.Zero || MaxAckDelay >= TimeSpan.FromMilliseconds(1 << 14)) throw new ArgumentException("MaxAckDelay must be in [0, 2^14 ms).", nameof(MaxAckDelay));
        if (AckDelayExponent is < 0 or > 20) throw new ArgumentException("AckDelayExponent must be 0 to 20.", nameof(AckDelayExponent));
        if (MaxDatagramFrameSize is < 0) throw new ArgumentException("MaxDatagramFrameSize cannot be negative.", nameof(MaxDatagramFrameSize));
        if (ActiveConnectionIdLimit < 2) throw new ArgumentException("ActiveConnectionIdLimit must be at least 2 (RFC 9000 §18.2).", nameof(ActiveConnectionIdLimit));
        if (ConnectionIdLength is < 4 or > ConnectionId.MaxLength) throw new ArgumentException("ConnectionIdLength must be 4 to 20.", nameof(ConnectionIdLength));
        if (MaxDatagramSize is < 1200 or > 65527) throw new ArgumentException("MaxDatagramSize must be 1200 to 65527.", nameof(MaxDatagramSize));
        if (MaxPathMtuDiscoverySize < MaxDatagramSize || MaxPathMtuDiscoverySize > 65527)
            throw new ArgumentException($"MaxPathMtuDiscoverySize must be from MaxDatagramSize ({MaxDatagramSize}) to 65527 (was {MaxPathMtuDiscoverySize}).", nameof(MaxPathMtuDiscoverySize));
        if (KeyUpdateIntervalPackets < 0) throw new ArgumentException("KeyUpdateIntervalPackets cannot be negative.", nameof(KeyUpdateIntervalPackets));
        if (DatagramSendQueueCapacity < 1) throw new ArgumentException("DatagramSendQueueCapacity must be at least 1.", nameof(DatagramSendQueueCapacity));
        if (KeepAliveInterval is { } k && k <= TimeSpan.Zero) throw new ArgumentException("KeepAliveInterval must be positive.", nameof(KeepAliveInterval));
        if (InitialRtt <= TimeSpan.Zero) throw new ArgumentException("InitialRtt must be positive.", nameof(InitialRtt));
        if (Versions is null || Versions.Length == 0 || Array.Exists(Versions, v => !Crypto.QuicVersionParameters.IsSupported(v)))
            throw new ArgumentException("Versions must list QUIC versions this library speaks: 0x00000001 (v1) and/or 0x6b3343cf (v2).", nameof(Versions));
        if (PacingHorizon < TimeSpan.Zero) throw new ArgumentException("PacingHorizon cannot be negative.", nameof(PacingHorizon));
        if (PreferredAddressIPv4 is { } p4 && (p4.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || p4.Port == 0))
            throw new ArgumentException("PreferredAddressIPv4 must be an IPv4 address with a port other than 0.", nameof(PreferredAddressIPv4));
        if (PreferredAddressIPv6 is { } p6 && (p6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || p6.Port == 0))
            throw new ArgumentException("PreferredAddressIPv6 must be an IPv6 address with a port other than 0.", nameof(PreferredAddressIPv6));
    }
}
