namespace Transport.Bench.Remote;

/// <summary>The measurements of the <c>client</c> mode.</summary>
internal enum RemoteTest
{
    /// <summary>Client to server bulk throughput.</summary>
    Upload,

    /// <summary>Server to client bulk throughput.</summary>
    Download,

    /// <summary>64-byte requests and responses, one outstanding per worker.</summary>
    RequestResponse,

    /// <summary>New connection, one tiny request, close: handshakes per second.</summary>
    Handshakes,
}
