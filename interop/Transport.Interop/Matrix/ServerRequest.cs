using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Matrix;

/// <summary>What a server endpoint is started with (the runner's server container environment).</summary>
public sealed class ServerRequest
{
    /// <summary>TESTCASE.</summary>
    public required string TestCase { get; init; }

    /// <summary>Loopback address to serve on (127.0.0.1, or ::1 for ipv6).</summary>
    public required IPAddress Address { get; init; }

    /// <summary>/www.</summary>
    public required string WebRoot { get; init; }

    /// <summary>/certs.</summary>
    public required TestCertificates Certificates { get; init; }

    /// <summary>/logs of the server (keys.log, qlog, stdout/stderr).</summary>
    public required string LogDirectory { get; init; }

    /// <summary>/downloads of the server (unused by QUIC tests).</summary>
    public required string DownloadDirectory { get; init; }

    /// <summary>
    /// connectionmigration: the address the server must advertise in preferred_address (the relay's second port, which
    /// forwards to the server's own preferred socket, <see cref="IMatrixServer.MoreEndPoints"/>); null otherwise.
    /// </summary>
    public IPEndPoint? AdvertisedPreferredAddress { get; init; }

    /// <summary>Hard limit on the server's life.</summary>
    public required TimeSpan Lifetime { get; init; }
}
