namespace Transport.Interop.Endpoint;

/// <summary>
/// What our endpoint does for one TESTCASE value (../shared/interop/TESTCASES.md §3): the ALPN it prescribes, the
/// connection shape of the client, and the features it switches on. Unknown or unsupported values: null (exit 127).
/// </summary>
public sealed class InteropTestCase
{
    /// <summary>ALPN of HTTP/0.9 over QUIC, used by every runner test except http3.</summary>
    public const string HqInterop = "hq-interop";

    /// <summary>ALPN of HTTP/3 (RFC 9114).</summary>
    public const string H3 = "h3";

    /// <summary>TESTCASE values our server supports.</summary>
    public static readonly IReadOnlyList<string> ServerTestCases =
        ["handshake", "transfer", "retry", "resumption", "zerortt", "http3", "multiconnect", "chacha20", "keyupdate", "v2", "ecn", "connectionmigration"];

    /// <summary>TESTCASE values our client supports.</summary>
    public static readonly IReadOnlyList<string> ClientTestCases =
        ["handshake", "transfer", "retry", "resumption", "zerortt", "http3", "multiconnect", "chacha20", "keyupdate", "v2", "ecn"];

    private InteropTestCase(string name) => Name = name;

    /// <summary>The TESTCASE value.</summary>
    public string Name { get; }

    /// <summary>The ALPN the test case prescribes: h3 for http3, hq-interop otherwise.</summary>
    public string Alpn => Name == "http3" ? H3 : HqInterop;

    /// <summary>Server: send a Retry to every new connection.</summary>
    public bool Retry => Name == "retry";

    /// <summary>Only TLS_CHACHA20_POLY1305_SHA256 (0x1303) is offered or accepted.</summary>
    public bool ChaCha20Only => Name == "chacha20";

    /// <summary>
    /// Server: prefer QUIC v2, so a client that starts in v1 and offers v2 in version_information is moved to v2 by
    /// compatible version negotiation (RFC 9368, RFC 9369). The client needs nothing: it always starts in v1 and
    /// offers v2.
    /// </summary>
    public bool PreferV2 => Name == "v2";

    /// <summary>
    /// Server: offer a preferred_address (RFC 9000 §9.6) on a second socket. The client needs nothing: it follows a
    /// server's preferred address by default (its test case is <c>transfer</c>).
    /// </summary>
    public bool PreferredAddress => Name == "connectionmigration";

    /// <summary>
    /// ECN (RFC 9000 §13.4) on: a transfer whose packets go out ECT(0) while ECN is tested and after it validated, and
    /// whose ACKs carry ECN counts. <see cref="Transport.Quic.Connection.ConnectionOptions.EnableEcn"/> is on by default,
    /// so this only makes it explicit (and logs the validation outcome).
    /// </summary>
    public bool Ecn => Name == "ecn";

    /// <summary>Client: initiate 1-RTT key updates (RFC 9001 §6).</summary>
    public bool KeyUpdate => Name == "keyupdate";

    /// <summary>Client: send the second connection's requests in 0-RTT.</summary>
    public bool EarlyData => Name == "zerortt";

    /// <summary>
    /// Path MTU probes (PING+PADDING 1-RTT packets) stay off where the check counts 1-RTT bytes or packets: zerortt allows
    /// the client at most 5000 bytes of 1-RTT payload, which two probes of 1452 and 1472 bytes nearly use up. ngtcp2's
    /// interop script passes --no-pmtud for zerortt and ecn alike.
    /// </summary>
    public bool PathMtuDiscovery => Name is not ("zerortt" or "ecn");

    /// <summary>Server: issue session tickets (resumption and 0-RTT).</summary>
    public bool Tickets => Name is "resumption" or "zerortt";

    /// <summary>Long handshake and idle timeouts (multiconnect runs under 30 % loss).</summary>
    public bool LongTimeouts => Name == "multiconnect";

    /// <summary>How the client spreads its requests.</summary>
    public ClientShape Shape => Name switch
    {
        "resumption" or "zerortt" => ClientShape.FirstThenRest,
        "multiconnect" => ClientShape.OnePerUrl,
        _ => ClientShape.OneConnection,
    };

    /// <summary>The server-side test case, or null when our server does not support <paramref name="name"/>.</summary>
    public static InteropTestCase? ForServer(string? name) =>
        name is not null && ServerTestCases.Contains(name) ? new InteropTestCase(name) : null;

    /// <summary>The client-side test case, or null when our client does not support <paramref name="name"/>.</summary>
    public static InteropTestCase? ForClient(string? name) =>
        name is not null && ClientTestCases.Contains(name) ? new InteropTestCase(name) : null;
}
