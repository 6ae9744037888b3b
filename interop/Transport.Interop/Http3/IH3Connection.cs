namespace Transport.Interop.Http3;

/// <summary>
/// The part of a QUIC connection (RFC 9000) that HTTP/3 and hq-interop need. Implemented over the real QUIC
/// connection by the endpoint, and in memory by the tests.
/// </summary>
/// <remarks>
/// Contract:
/// <list type="bullet">
/// <item>Open* wait (asynchronously) while the peer's stream limit (MAX_STREAMS) allows no new stream; the stream is
/// usable at once, and the peer learns of it when its first byte (or FIN) is sent.</item>
/// <item><see cref="AcceptStreamAsync"/> returns each peer-initiated stream, bidirectional or unidirectional, in the
/// order the peer opened them, and null once the connection is closed (by either side, or by idle timeout); after
/// that it keeps returning null.</item>
/// <item><see cref="CloseAsync"/> sends CONNECTION_CLOSE of the application type (0x1d) with the given code; it is
/// idempotent (later calls do nothing). After the close, reads and writes on every stream fail (throw) and
/// pending accepts return null.</item>
/// </list>
/// </remarks>
public interface IH3Connection
{
    /// <summary>Opens a locally-initiated bidirectional stream.</summary>
    ValueTask<IH3Stream> OpenBidirectionalStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Opens a locally-initiated unidirectional (send-only) stream.</summary>
    ValueTask<IH3Stream> OpenUnidirectionalStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>The next peer-initiated stream, or null once the connection is closed.</summary>
    ValueTask<IH3Stream?> AcceptStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d).</summary>
    ValueTask CloseAsync(long applicationErrorCode, CancellationToken cancellationToken = default);
}
