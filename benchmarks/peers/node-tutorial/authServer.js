// The tutorial's auth server (authServer.js): /login, /token and /logout, refresh tokens in an array.
// Unchanged in substance (it checks no password, as in the tutorial); the port and secrets come from the
// environment so the benchmark can set them.
const express = require('express');
const jwt = require('jsonwebtoken');

const app = express();
app.use(express.json());

let refreshTokens = [];

app.post('/login', (req, res) => {
  // Authenticate user
  const username = req.body.username;
  const user = { name: username };

  const accessToken = generateAccessToken(user);
  const refreshToken = jwt.sign(user, process.env.REFRESH_TOKEN_SECRET);
  refreshTokens.push(refreshToken);
  res.json({ accessToken: accessToken, refreshToken: refreshToken });
});

app.post('/logout', (req, res) => {
  refreshTokens = refreshTokens.filter((token) => token !== req.body.token);
  res.sendStatus(204);
});

app.post('/token', (req, res) => {
  const refreshToken = req.body.token;
  if (refreshToken == null) return res.sendStatus(401);
  if (!refreshTokens.includes(refreshToken)) return res.sendStatus(403);
  jwt.verify(refreshToken, process.env.REFRESH_TOKEN_SECRET, (err, user) => {
    if (err) return res.sendStatus(403);
    const accessToken = generateAccessToken({ name: user.name });
    res.json({ accessToken: accessToken });
  });
});

function generateAccessToken(user) {
  return jwt.sign(user, process.env.ACCESS_TOKEN_SECRET, { expiresIn: process.env.ACCESS_TOKEN_TTL || '15s' });
}

app.listen(Number(process.env.PORT || 4000), '127.0.0.1');
