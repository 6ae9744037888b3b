using Transport.Quic.Connection;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>Options of a <see cref="QuicEndpointCore"/>: one UDP socket serving many connections.</summary>
public sealed class QuicEndpointOptions
{
    /// <summary>
    /// Options for server connections; null makes a client-only endpoint (client Initials for unknown connection IDs are
    /// dropped). Its <see cref="ConnectionOptions.ConnectionIdLength"/> must equal <see cref="LocalConnectionIdLength"/>;
    /// when its <see cref="ConnectionOptions.StatelessResetTokenGenerator"/> is null the endpoint sets it (on this object)
    /// to derive tokens from <see cref="StatelessResetTokens"/>, so the endpoint's stateless resets match them.
    /// </summary>
    public ConnectionOptions? ServerConnectionOptions { get; set; }

    /// <summary>The length of every connection ID this endpoint issues (4 to 20; short headers are routed by it).</summary>
    public int LocalConnectionIdLength { get; set; } = 8;

    /// <summary>Admission policy for new client Initials (Retry, limits); null: defaults.</summary>
    public HandshakeAdmissionOptions? Admission { get; set; }

    /// <summary>Protects Retry tokens; null: a protector with a random key, owned and disposed by the endpoint.</summary>
    public AddressValidationTokenProtector? TokenProtector { get; set; }

    /// <summary>Derives stateless reset tokens from connection IDs; null: a random key.</summary>
    public StatelessResetTokenGenerator? StatelessResetTokens { get; set; }

    /// <summary>The versions answered without Version Negotiation (default QUIC v1 and QUIC v2, RFC 9369); the server connections choose among them with <see cref="ConnectionOptions.Versions"/>.</summary>
    public uint[] SupportedVersions { get; set; } = [QuicVersion.Version1, QuicVersion.Version2];

    /// <summary>
    /// A directory for qlog traces: each connection of this endpoint whose <see cref="ConnectionOptions.Qlog"/> is null
    /// writes <c>&lt;odcid hex&gt;_&lt;client|server&gt;.sqlog</c> there (qlog 0.3 JSON-SEQ, for qvis; see
    /// <see cref="Qlog.QlogFileFactory"/>). Null (default): no qlog. The interop endpoint sets it from the
    /// <c>QLOGDIR</c> environment variable (<see cref="Qlog.QlogFileFactory.DirectoryVariable"/>).
    /// </summary>
    public string? QlogDirectory { get; set; }

    /// <summary>
    /// A file that receives the TLS secrets of every connection of this endpoint as NSS key log lines (SSLKEYLOGFILE
    /// format, appended; Wireshark decrypts captures with it), unless the connection's <see cref="ConnectionOptions.KeyLog"/>
    /// or its TLS options' <c>KeyLog</c> says otherwise. Null (default): none. The interop endpoint sets it from
    /// <c>SSLKEYLOGFILE</c>. Anyone holding the file can decrypt the traffic.
    /// </summary>
    public string? KeyLogFile { get; set; }

    /// <summary>At most this many stateless packets (Retry, Version Negotiation, stateless reset) wait to be sent; more are dropped.</summary>
    public int MaxQueuedStatelessPackets { get; set; } = 256;

    /// <summary>
    /// Server: queue a connection for <see cref="QuicEndpointCore.TryAccept"/> as soon as its first flight is out
    /// (<see cref="ConnectionEventKind.HalfRttReady"/>) instead of at handshake completion, so the application can read
    /// accepted 0-RTT data and answer with 0.5-RTT data one round trip earlier. Early data can be replayed (RFC 8446 §8);
    /// see <see cref="QuicListenerOptions.AcceptBeforeHandshakeCompletes"/>. Default false.
    /// </summary>
    public bool AcceptBeforeHandshakeCompletes { get; set; }
}
