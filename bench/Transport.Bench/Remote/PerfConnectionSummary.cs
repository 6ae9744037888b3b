using System.Net;

namespace Transport.Bench.Remote;

/// <summary>What the server saw on one connection when it ended (its log line, as data).</summary>
/// <param name="Kind">"quic", "tcp" or "tls".</param>
/// <param name="Remote">The client's address.</param>
/// <param name="Streams">Streams (QUIC) or exchanges (TCP/TLS) the client started.</param>
/// <param name="Received">Bytes received, headers included.</param>
/// <param name="Sent">Payload bytes sent.</param>
/// <param name="End">How it ended.</param>
internal sealed record PerfConnectionSummary(string Kind, EndPoint Remote, int Streams, long Received, long Sent, string End);
