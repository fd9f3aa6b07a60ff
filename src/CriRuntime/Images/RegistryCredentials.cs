using System.Text;
using CriRuntime.Errors;

namespace CriRuntime.Images;

/// <summary>What the CRI AuthConfig of one pull carries; only ever sent to the registry it was given for.</summary>
internal sealed record RegistryCredentials(string Username, string Password, string IdentityToken, string RegistryToken)
{
    public bool HasBasic => Username.Length > 0;

    public static RegistryCredentials? From(string username, string password, string auth, string identityToken, string registryToken)
    {
        if (auth.Length > 0)
        {
            // "auth" is base64("user:password"), as in ~/.docker/config.json.
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                throw new InvalidArgumentException("auth.auth is not valid base64 of \"user:password\"");
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0) throw new InvalidArgumentException("auth.auth does not decode to \"user:password\"");
            (username, password) = (decoded[..colon], decoded[(colon + 1)..]);
        }
        return username.Length == 0 && identityToken.Length == 0 && registryToken.Length == 0
            ? null
            : new RegistryCredentials(username, password, identityToken, registryToken);
    }

    public string BasicHeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes(Username + ":" + Password));

    public override string ToString() => $"credentials for {Username}"; // never the secrets in a log line
}
