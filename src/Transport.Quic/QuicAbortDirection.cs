namespace Transport.Quic;

/// <summary>Which side of a stream <see cref="QuicStream.Abort"/> ends.</summary>
[Flags]
public enum QuicAbortDirection
{
    /// <summary>Stop receiving (STOP_SENDING).</summary>
    Read = 1,
    /// <summary>Stop sending (RESET_STREAM).</summary>
    Write = 2,
    /// <summary>Both.</summary>
    Both = Read | Write,
}
