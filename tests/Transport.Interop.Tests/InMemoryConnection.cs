using System.IO.Pipelines;
using System.Threading.Channels;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

/// <summary>The exception a reader sees when the peer reset the stream.</summary>
internal sealed class StreamResetException(long errorCode) : IOException($"Stream reset with code 0x{errorCode:x}.")
{
    public long ErrorCode { get; } = errorCode;
}

/// <summary>
/// An in-memory <see cref="IH3Connection"/>: each stream direction is a <see cref="Pipe"/>; stream IDs follow
/// RFC 9000 §2.1. Closing completes every pipe writer with an exception and ends both accept queues.
/// </summary>
internal sealed class InMemoryConnection : IH3Connection
{
    private readonly Channel<IH3Stream> _accept = Channel.CreateUnbounded<IH3Stream>();
    private readonly List<Pipe> _pipes; // shared by both ends
    private InMemoryConnection _peer = null!;
    private long _nextBidi, _nextUni;

    private InMemoryConnection(bool isServer, List<Pipe> pipes)
    {
        IsServer = isServer;
        _pipes = pipes;
    }

    public bool IsServer { get; }

    /// <summary>The code this end closed with (null while open or when the peer closed first).</summary>
    public long? LocalCloseCode { get; private set; }

    /// <summary>The code the peer closed with.</summary>
    public long? PeerCloseCode => _peer.LocalCloseCode;

    /// <summary>Streams this end opened.</summary>
    public List<InMemoryStream> Opened { get; } = [];

    /// <summary>The local ends of the streams the peer opened (whether or not accepted yet), in order.</summary>
    public List<InMemoryStream> Incoming { get; } = [];

    public static (InMemoryConnection Client, InMemoryConnection Server) CreatePair()
    {
        var pipes = new List<Pipe>();
        var c = new InMemoryConnection(false, pipes);
        var s = new InMemoryConnection(true, pipes);
        c._peer = s;
        s._peer = c;
        return (c, s);
    }

    private bool Closed => LocalCloseCode is not null || _peer.LocalCloseCode is not null;

    public ValueTask<IH3Stream> OpenBidirectionalStreamAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IH3Stream>(Open(bidirectional: true));

    public ValueTask<IH3Stream> OpenUnidirectionalStreamAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IH3Stream>(Open(bidirectional: false));

    /// <summary>Opens a stream and returns the local end (typed, for tests that drive the wire by hand).</summary>
    public InMemoryStream Open(bool bidirectional)
    {
        lock (_pipes)
        {
            if (Closed) throw new IOException("The connection is closed.");
            long n = bidirectional ? _nextBidi++ : _nextUni++;
            long id = (n << 2) | (bidirectional ? 0L : 2L) | (IsServer ? 1L : 0L);
            var outbound = new Pipe(new PipeOptions(useSynchronizationContext: false));
            Pipe? inbound = bidirectional ? new Pipe(new PipeOptions(useSynchronizationContext: false)) : null;
            _pipes.Add(outbound);
            if (inbound is not null) _pipes.Add(inbound);
            var local = new InMemoryStream(id, inbound?.Reader, outbound.Writer);
            var remote = new InMemoryStream(id, outbound.Reader, inbound?.Writer);
            Opened.Add(local);
            _peer.Incoming.Add(remote);
            _peer._accept.Writer.TryWrite(remote);
            return local;
        }
    }

    public async ValueTask<IH3Stream?> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accept.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask CloseAsync(long applicationErrorCode, CancellationToken cancellationToken = default)
    {
        lock (_pipes)
        {
            if (Closed) return ValueTask.CompletedTask;
            LocalCloseCode = applicationErrorCode;
            _accept.Writer.TryComplete();
            _peer._accept.Writer.TryComplete();
            var error = new IOException($"The connection was closed with code 0x{applicationErrorCode:x}.");
            foreach (Pipe p in _pipes)
            {
                try { p.Writer.Complete(error); } catch (InvalidOperationException) { }
            }
        }
        return ValueTask.CompletedTask;
    }
}

internal sealed class InMemoryStream : IH3Stream
{
    private readonly PipeReader? _input;
    private readonly PipeWriter? _output;

    public InMemoryStream(long id, PipeReader? input, PipeWriter? output)
    {
        StreamId = id;
        _input = input;
        _output = output;
    }

    public long StreamId { get; }
    public bool CanRead => _input is not null;
    public bool CanWrite => _output is not null;
    public PipeReader Input => _input ?? throw new InvalidOperationException("This stream cannot be read.");
    public PipeWriter Output => _output ?? throw new InvalidOperationException("This stream cannot be written.");
    public long? ReadAbortCode { get; private set; }
    private readonly TaskCompletionSource<long> _readAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Completes with the code when this end aborts reading.</summary>
    public Task<long> ReadAborted => _readAborted.Task;
    public long? WriteAbortCode { get; private set; }

    public void AbortRead(long errorCode)
    {
        if (_input is null || ReadAbortCode is not null) return;
        ReadAbortCode = errorCode;
        _readAborted.TrySetResult(errorCode);
        try { _input.Complete(); } catch (InvalidOperationException) { }
    }

    public void AbortWrite(long errorCode)
    {
        if (_output is null || WriteAbortCode is not null) return;
        WriteAbortCode = errorCode;
        try { _output.Complete(new StreamResetException(errorCode)); } catch (InvalidOperationException) { }
    }
}
