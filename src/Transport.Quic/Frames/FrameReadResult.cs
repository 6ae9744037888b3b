namespace Transport.Quic.Frames;

/// <summary>What <see cref="FrameReader.ReadNext"/> found.</summary>
public enum FrameReadResult
{
    /// <summary>A valid frame was read.</summary>
    Frame,

    /// <summary>The payload is exhausted; no more frames.</summary>
    End,

    /// <summary>The payload is invalid; <see cref="FrameReader.Error"/> holds the transport error code to close with.</summary>
    Error,
}
