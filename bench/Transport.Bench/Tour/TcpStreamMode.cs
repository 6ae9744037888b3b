namespace Transport.Bench.Tour;

/// <summary>How a TCP-based contender maps the tour's streams onto TCP connections.</summary>
internal enum TcpStreamMode
{
    /// <summary>Every stream is its own TCP connection (the first stream uses the connection made by ConnectAsync).</summary>
    ConnectionPerStream,

    /// <summary>
    /// All streams of a connection are logical flows framed over ONE TCP connection (<see cref="StreamMultiplexer"/>):
    /// what an application does to get many streams from TCP, with TCP's head-of-line blocking between them.
    /// </summary>
    Multiplexed,
}
