namespace Transport.Quic.Qlog;

/// <summary>Which side an event's values belong to: qlog's <c>Owner</c> (quic-events -02).</summary>
public enum QlogOwner
{
    /// <summary>This endpoint (<c>"local"</c>).</summary>
    Local,

    /// <summary>The peer (<c>"remote"</c>).</summary>
    Remote,
}
