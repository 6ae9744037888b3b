using System.Buffers;
using System.IO.Pipelines;

namespace Transport.Bench.Tour;

/// <summary>One logical stream of a <see cref="StreamMultiplexer"/>, as a <see cref="Stream"/> and an <see cref="ITourStream"/>.</summary>
internal sealed class MuxStream : Stream, ITourStream
{
    private readonly StreamMultiplexer _owner;
    private readonly uint _id;
    private bool _writesCompleted;
    private int _disposed;

    internal MuxStream(StreamMultiplexer owner, uint id)
    {
        _owner = owner;
        _id = id;
        Incoming = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    }

    /// <summary>Bytes the demultiplexer received for this stream.</summary>
    internal Pipe Incoming { get; }

    /// <summary>This side stopped reading: further data for it is discarded.</summary>
    internal bool ReceiveAbandoned { get; set; }

    Stream ITourStream.Stream => this;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        PipeReader reader = Incoming.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> data = result.Buffer;
            if (!data.IsEmpty)
            {
                int n = (int)Math.Min(data.Length, buffer.Length);
                data.Slice(0, n).CopyTo(buffer.Span);
                reader.AdvanceTo(data.GetPosition(n));
                return n;
            }
            reader.AdvanceTo(data.End);
            if (result.IsCompleted || result.IsCanceled) return 0;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_writesCompleted) throw new InvalidOperationException("Writes on this stream were completed.");
        return buffer.IsEmpty ? ValueTask.CompletedTask : _owner.SendAsync(_id, buffer, fin: false, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        if (_writesCompleted) return ValueTask.CompletedTask;
        _writesCompleted = true;
        return _owner.SendAsync(_id, ReadOnlyMemory<byte>.Empty, fin: true, cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await CompleteWritesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is gone; nothing to tell the peer.
        }
        ReceiveAbandoned = true;
        await Incoming.Reader.CompleteAsync().ConfigureAwait(false);
        _owner.Forget(_id);
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
