namespace Transport.Interop.Hq;

/// <summary>
/// Application error codes this hq-interop server resets streams with (hq-interop defines none; these are ours).
/// </summary>
public static class HqErrorCode
{
    /// <summary>Used when closing the connection normally.</summary>
    public const long NoError = 0;
    /// <summary>The request was not "GET /path".</summary>
    public const long BadRequest = 400;
    /// <summary>The requested file does not exist under the root.</summary>
    public const long NotFound = 404;
    /// <summary>The server failed while serving.</summary>
    public const long InternalError = 500;
}
