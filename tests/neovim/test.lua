-- Neovim (0.7+) headless, built-in LSP client, the editors/neovim plugin: login → bind →
-- publish against the local portal. Run by tests/neovim/run.sh; questions are answered by a
-- scripted window/showMessageRequest handler. Exits 0 on success, 1 with a message on failure.
local project = assert(os.getenv("MINIAPP_PROJECT"), "MINIAPP_PROJECT")
local bin = assert(os.getenv("MINIAPP_BIN"), "MINIAPP_BIN")
local portal = assert(os.getenv("MINIAPP_PORTAL"), "MINIAPP_PORTAL")
local result_file = assert(os.getenv("MINIAPP_RESULT"), "MINIAPP_RESULT")

local function finish(ok, message)
  local f = io.open(result_file, "w")
  f:write((ok and "ok" or "fail") .. "\n" .. (message or "") .. "\n")
  f:close()
  vim.cmd(ok and "qall!" or "cquit! 1")
end

local function check(cond, message)
  if not cond then
    finish(false, message)
    error(message)
  end
end

local asked = {}
local progress = {}
local answers = { ["Select the MiniApp"] = "Hello MiniApp" }

local miniapp = require("gopay_miniapp")
miniapp.setup({
  cmd = { bin, "--portal", portal, "lsp" },
  init_options = { promptTimeoutSeconds = 30 },
  handlers = {
    ["window/showMessageRequest"] = function(_, params)
      table.insert(asked, params.message)
      for fragment, title in pairs(answers) do
        if params.message:find(fragment, 1, true) then
          return { title = title }
        end
      end
      return vim.NIL
    end,
    ["$/progress"] = function(_, params)
      table.insert(progress, params.value)
    end,
  },
})

vim.cmd("edit " .. vim.fn.fnameescape(project .. "/package.json"))
local client_id = miniapp.start(project)
check(client_id, "the sidecar did not start")

local function run(command, args)
  local done, err, result = false, nil, nil
  miniapp.execute(command, args, function(e, r)
    err, result, done = e, r, true
  end)
  local ok = vim.wait(120000, function()
    return done
  end, 50)
  check(ok, command .. ": no answer in time")
  check(err == nil, command .. " failed: " .. vim.inspect(err))
  return result
end

local ok = vim.wait(30000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c and c.initialized
end, 50)
check(ok, "the sidecar did not initialize")
local client = vim.lsp.get_client_by_id(client_id)
local commands = client.server_capabilities.executeCommandProvider.commands
check(vim.tbl_contains(commands, "miniapp.publish"), "miniapp.publish is not advertised")

-- Also the user commands exist.
check(vim.fn.exists(":MiniappPublish") == 2, ":MiniappPublish is missing")

local login = run("login", { username = "demo", password = "demo" })
check(login.username == "demo", "login: " .. vim.inspect(login))

local bound = run("bind", nil)
check(bound.binding.app.name == "Hello MiniApp", "bind: " .. vim.inspect(bound))
check(#asked == 1 and asked[1]:find("Select the MiniApp", 1, true), "bind asked: " .. vim.inspect(asked))

local published = run("publish", { description = "from neovim" })
check(published.version == "1.0.1", "publish: " .. vim.inspect(published))
local saw_begin, saw_end = false, false
for _, v in ipairs(progress) do
  saw_begin = saw_begin or v.kind == "begin"
  saw_end = saw_end or v.kind == "end"
end
check(saw_begin and saw_end, "publish progress: " .. vim.inspect(progress))

vim.wait(2000, function()
  return miniapp.status and miniapp.status.latestVersion == "1.0.1"
end, 50)
check(miniapp.status and miniapp.status.latestVersion == "1.0.1", "miniapp/didChangeStatus: " .. vim.inspect(miniapp.status))

client.stop()
vim.wait(5000, function()
  return client.is_stopped()
end, 50)
finish(true, "login → bind → publish " .. published.version)
