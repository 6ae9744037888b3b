using System.IO.Pipelines;

namespace Transport.Interop.Http3;

/// <summary>
/// One QUIC stream as HTTP/3 sees it: a byte pipe in each direction the stream has.
/// </summary>
/// <remarks>
/// Contract:
/// <list type="bullet">
/// <item><see cref="Input"/>: <c>ReadAsync</c> yields the peer's bytes in order; <c>ReadResult.IsCompleted</c> is
/// true once the peer's FIN has been received and every byte read. If the peer resets the stream (RESET_STREAM) or the
/// connection closes, <c>ReadAsync</c> throws (any exception type; the HTTP layers treat it as the stream failing).
/// Completing the reader after seeing IsCompleted needs nothing on the wire; completing it earlier means "no
/// longer interested" and may send STOP_SENDING with H3_NO_ERROR (0x100).</item>
/// <item><see cref="Output"/>: bytes written and flushed are sent in order; <c>FlushAsync</c> applies back-pressure
/// (flow control, congestion) and returns <c>FlushResult.IsCompleted == true</c> once the peer sent STOP_SENDING
/// (the writer should then stop). <c>Complete()/CompleteAsync()</c> without an exception sends FIN after the
/// written bytes.</item>
/// <item><see cref="AbortRead"/> sends STOP_SENDING, <see cref="AbortWrite"/> sends RESET_STREAM, each with an
/// application error code; both are idempotent and do nothing on a direction the stream lacks or has finished.</item>
/// </list>
/// </remarks>
public interface IH3Stream
{
    /// <summary>The QUIC stream ID (RFC 9000 §2.1): bit 0 = server-initiated, bit 1 = unidirectional.</summary>
    long StreamId { get; }

    /// <summary>True when bytes can be read (bidirectional, or a peer-initiated unidirectional stream).</summary>
    bool CanRead { get; }

    /// <summary>True when bytes can be written (bidirectional, or a locally-initiated unidirectional stream).</summary>
    bool CanWrite { get; }

    /// <summary>The receive half. Throws <see cref="InvalidOperationException"/> when <see cref="CanRead"/> is false.</summary>
    PipeReader Input { get; }

    /// <summary>The send half. Throws <see cref="InvalidOperationException"/> when <see cref="CanWrite"/> is false.</summary>
    PipeWriter Output { get; }

    /// <summary>
    /// Writes <paramref name="data"/> and then FIN, and completes <see cref="Output"/>. Implementations that can should send
    /// both in one stream write (a request and its FIN in one packet); the default writes, then completes.
    /// </summary>
    async ValueTask WriteFinalAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await Output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Stops reading: STOP_SENDING with <paramref name="errorCode"/>.</summary>
    void AbortRead(long errorCode);

    /// <summary>Abandons sending: RESET_STREAM with <paramref name="errorCode"/>.</summary>
    void AbortWrite(long errorCode);
}
