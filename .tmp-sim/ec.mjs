import { encodeChat, countTokens } from "gpt-tokenizer";
const msgs = [{ role: "system", content: "You are helpful." }, { role: "user", content: "Hello there, how are you?" }];
console.log(encodeChat(msgs, "gpt-4o").length, msgs.reduce((a, m) => a + 3 + countTokens(m.role) + countTokens(m.content), 3));
const m2 = [{ role: "user", content: "Hi", name: "bob" }];
console.log(encodeChat(m2, "gpt-4o").length, 3 + 3 + countTokens("user") + countTokens("Hi") + countTokens("bob") + 1);
