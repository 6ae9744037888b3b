namespace Transport.Bench.Tour;

/// <summary>One bidirectional byte stream of a contender.</summary>
internal interface ITourStream : IAsyncDisposable
{
    /// <summary>The bytes: read what the peer sent, write what it should receive.</summary>
    Stream Stream { get; }

    /// <summary>Half-closes the stream: the peer reads end of stream once it has read everything written before.</summary>
    ValueTask CompleteWritesAsync(CancellationToken cancellationToken);
}
