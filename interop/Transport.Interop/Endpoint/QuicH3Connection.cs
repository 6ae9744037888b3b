using Transport.Interop.Http3;
using Transport.Quic;

namespace Transport.Interop.Endpoint;

/// <summary>
/// <see cref="IH3Connection"/> over our public API's <see cref="QuicConnection"/>: HTTP/3 and hq-interop run on it
/// unchanged. Does not own the connection (dispose it yourself).
/// </summary>
public sealed class QuicH3Connection : IH3Connection
{
    private int _closed;

    /// <summary>Wraps <paramref name="connection"/>.</summary>
    public QuicH3Connection(QuicConnection connection) => Connection = connection ?? throw new ArgumentNullException(nameof(connection));

    /// <summary>The wrapped connection.</summary>
    public QuicConnection Connection { get; }

    /// <inheritdoc/>
    public async ValueTask<IH3Stream> OpenBidirectionalStreamAsync(CancellationToken cancellationToken = default) =>
        new QuicH3Stream(await Connection.OpenOutboundStreamAsync(bidirectional: true, cancellationToken).ConfigureAwait(false), isLocal: true);

    /// <inheritdoc/>
    public async ValueTask<IH3Stream> OpenUnidirectionalStreamAsync(CancellationToken cancellationToken = default) =>
        new QuicH3Stream(await Connection.OpenOutboundStreamAsync(bidirectional: false, cancellationToken).ConfigureAwait(false), isLocal: true);

    /// <inheritdoc/>
    public async ValueTask<IH3Stream?> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closed) != 0) return null;
        try
        {
            return new QuicH3Stream(await Connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false), isLocal: false);
        }
        catch (QuicException)
        {
            return null; // closed by either side or by the idle timeout
        }
    }

    /// <inheritdoc/>
    public async ValueTask CloseAsync(long applicationErrorCode, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try
        {
            await Connection.CloseAsync((ulong)applicationErrorCode, cancellationToken).ConfigureAwait(false);
        }
        catch (QuicException) { /* already closed */ }
        catch (ObjectDisposedException) { }
    }
}
