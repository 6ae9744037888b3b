using System.Globalization;
using System.Net;

namespace Transport.Interop.Endpoint;

/// <summary>
/// The runner's endpoint contract (../shared/interop/TESTCASES.md §2) as read from the environment, plus a few
/// local overrides for loopback runs (README.md in this folder lists them all).
/// </summary>
public sealed class EndpointConfig
{
    /// <summary>ROLE: client or server.</summary>
    public string Role { get; set; } = "";

    /// <summary>TESTCASE as seen by this endpoint.</summary>
    public string TestCase { get; set; } = "";

    /// <summary>REQUESTS (client): the URLs to fetch.</summary>
    public List<Uri> Requests { get; set; } = [];

    /// <summary>SSLKEYLOGFILE: NSS key log file; null: none.</summary>
    public string? KeyLogFile { get; set; }

    /// <summary>QLOGDIR: qlog output directory; null: none.</summary>
    public string? QlogDirectory { get; set; }

    /// <summary>WWW (server): the files to serve. Default /www.</summary>
    public string Www { get; set; } = "/www";

    /// <summary>DOWNLOADS (client): where fetched files go. Default /downloads.</summary>
    public string Downloads { get; set; } = "/downloads";

    /// <summary>CERTS (server): cert.pem (chain, leaf first) and priv.key. Default /certs.</summary>
    public string Certs { get; set; } = "/certs";

    /// <summary>PORT (server): UDP port. Default 443; 0 picks a free one (see <see cref="InteropServer.LocalEndPoint"/>).</summary>
    public int Port { get; set; } = 443;

    /// <summary>LISTEN (server): the address to bind. Default :: (all addresses, IPv4 and IPv6).</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.IPv6Any;

    /// <summary>
    /// ALPN (client): overrides the protocol the test case prescribes ("h3" for an HTTP/3-only peer such as Debian's
    /// ngtcp2, "hq-interop"). The server always offers both.
    /// </summary>
    public string? Alpn { get; set; }

    /// <summary>
    /// CONNECT_TO (client): host:port actually dialled instead of the URL's authority (the URL's host stays the SNI and
    /// :authority). For loopback runs where server4:443 is not reachable as such.
    /// </summary>
    public string? ConnectTo { get; set; }

    /// <summary>
    /// TIMEOUT (client): seconds before the client gives up (exit 1). Default 300, the runner's longest test limit
    /// (handshakeloss, handshakecorruption): under the runner its own timer decides, so ours must never fire first.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// PREFERRED_LISTEN (server, connectionmigration): address:port of the socket bound as the preferred address.
    /// Default 0.0.0.0:4433 (the port ngtcp2 uses in the runner).
    /// </summary>
    public IPEndPoint? PreferredListen { get; set; }

    /// <summary>
    /// PREFERRED_ADDRESS (server, connectionmigration): address:port advertised in preferred_address when it differs
    /// from PREFERRED_LISTEN (a relay forwards it there). Default: PREFERRED_LISTEN, or when that is a wildcard, the
    /// host's first non-loopback IPv4 address with its port.
    /// </summary>
    public IPEndPoint? PreferredAddress { get; set; }

    /// <summary>Reads the contract from <paramref name="env"/> (by default the process environment).</summary>
    /// <exception cref="ArgumentException">A value is malformed (e.g. a URL or port).</exception>
    public static EndpointConfig FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var c = new EndpointConfig
        {
            Role = (env("ROLE") ?? "").Trim().ToLowerInvariant(),
            TestCase = (env("TESTCASE") ?? "").Trim(),
            KeyLogFile = NullIfEmpty(env("SSLKEYLOGFILE")),
            QlogDirectory = NullIfEmpty(env("QLOGDIR")),
            Www = NullIfEmpty(env("WWW")) ?? "/www",
            Downloads = NullIfEmpty(env("DOWNLOADS")) ?? "/downloads",
            Certs = NullIfEmpty(env("CERTS")) ?? "/certs",
            Alpn = NullIfEmpty(env("ALPN")),
            ConnectTo = NullIfEmpty(env("CONNECT_TO")),
        };
        foreach (string url in (env("REQUESTS") ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? u)) throw new ArgumentException($"REQUESTS: '{url}' is not an absolute URL.");
            c.Requests.Add(u);
        }
        if (NullIfEmpty(env("PORT")) is { } port)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
                throw new ArgumentException($"PORT: '{port}' is not a UDP port.");
            c.Port = p;
        }
        if (NullIfEmpty(env("LISTEN")) is { } listen)
        {
            if (!IPAddress.TryParse(listen, out IPAddress? a)) throw new ArgumentException($"LISTEN: '{listen}' is not an IP address.");
            c.ListenAddress = a;
        }
        if (NullIfEmpty(env("PREFERRED_LISTEN")) is { } pl)
        {
            if (!IPEndPoint.TryParse(pl, out IPEndPoint? e)) throw new ArgumentException($"PREFERRED_LISTEN: '{pl}' is not an address:port.");
            c.PreferredListen = e;
        }
        if (NullIfEmpty(env("PREFERRED_ADDRESS")) is { } pa)
        {
            if (!IPEndPoint.TryParse(pa, out IPEndPoint? e) || e.Port == 0) throw new ArgumentException($"PREFERRED_ADDRESS: '{pa}' is not an address:port.");
            c.PreferredAddress = e;
        }
        if (NullIfEmpty(env("TIMEOUT")) is { } timeout)
        {
            if (!int.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out int s) || s == 0)
                throw new ArgumentException($"TIMEOUT: '{timeout}' is not a positive number of seconds.");
            c.Timeout = TimeSpan.FromSeconds(s);
        }
        return c;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
