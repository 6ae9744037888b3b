using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Transport.Quic.Tls;

/// <summary>
/// Decides whether the server's certificate is acceptable. Called after the default checks ran, with what they found in
/// <paramref name="errors"/>; return true to accept. When set, the callback's answer replaces the default decision.
/// </summary>
/// <param name="certificate">The server's leaf certificate.</param>
/// <param name="chain">The chain built from the leaf, the server's other certificates and the trust store.</param>
/// <param name="serverName">The name the client asked for (SNI), or null.</param>
/// <param name="errors">What the default validation found (chain errors, name mismatch).</param>
public delegate bool TlsCertificateValidationCallback(X509Certificate2 certificate, X509Chain chain, string? serverName, SslPolicyErrors errors);
